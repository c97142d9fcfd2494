import { DeepPhotoError } from '../core/errors.ts';

/** A person id / number / point that is not a person in the picture (wire code `unknown_person`, HTTP 400). In its
 * own file so that HTTP, the CLI and the thread boundaries can name it without loading the detector modules. */
export class UnknownPersonError extends DeepPhotoError {
  constructor(message: string) {
    super('unknown_person', message);
    this.name = 'UnknownPersonError';
  }
}
