import { execSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Builds the web app once for the whole browser run; every file's harness serves `web/dist`. */
export default function setup() {
  execSync('npx vite build web --logLevel warn', { cwd: fileURLToPath(new URL('../..', import.meta.url)), stdio: 'inherit' });
}
