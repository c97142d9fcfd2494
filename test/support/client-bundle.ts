/** The client library bundled for plain test pages (see server/src/tools/client-bundle.ts). */
export { clientBundle } from '../../server/src/tools/client-bundle.ts';
