/**
 * An error a user can cause (bad image, bad flag, bad scenario): the CLI prints its message as one
 * line and exits non-zero, never a stack trace.
 */
export class UserError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UserError';
  }
}
