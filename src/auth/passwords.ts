import { hash, verify } from '@node-rs/argon2';

/** argon2id with the library's recommended cost (m=19 MiB, t=2, p=1); ~60 ms a hash here. */
const ARGON2ID = 2;

export const hashPassword = (password: string) => hash(password, { algorithm: ARGON2ID });

export const verifyPassword = async (stored: string, password: string) => {
  try {
    return await verify(stored, password);
  } catch {
    return false;
  }
};

/**
 * A hash of a password nobody has, verified when the email is unknown so that a failed login
 * takes the same time whether or not the account exists.
 */
let decoy: Promise<string> | undefined;
export const decoyHash = () => (decoy ??= hashPassword(`decoy-${Math.random()}`));
