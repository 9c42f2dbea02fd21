// src/errors.js: errors with a code, as the engine describes them
// ({code, message}).

/**
 * @param {string} message
 * @param {string} code
 * @param {ErrorConstructor} [Ctor]
 * @returns {Error & {code: string}}
 */
export function codedError(message, code, Ctor) {
  const err = /** @type {Error & {code: string}} */ (new (Ctor || Error)(message));
  err.code = code;
  return err;
}
