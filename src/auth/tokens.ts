import { createHash, randomBytes } from 'node:crypto';

/** `lp_` + 43 base64url characters (256 random bits). The prefix makes leaked tokens greppable. */
export const generateToken = () => `lp_${randomBytes(32).toString('base64url')}`;

/** Tokens are high-entropy, so a fast digest is the right way to store them (unlike passwords). */
export const digestToken = (token: string) => createHash('sha256').update(token).digest('hex');
