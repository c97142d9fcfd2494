/** A person id / number / point that is not a person in the picture (wire code `unknown_person`). Dependency-free
 * so that HTTP, the CLI and the thread boundaries can name it without loading the detector modules. */
export class UnknownPersonError extends Error {
  readonly code = 'unknown_person' as const;
  constructor(message: string) {
    super(message);
    this.name = 'UnknownPersonError';
  }
}
