// Builds the web app before `npm start` when its sources are present (about a second with Vite).
import { existsSync } from 'node:fs';
import { execSync } from 'node:child_process';

if (existsSync('web/index.html')) {
  execSync('npx vite build web --logLevel warn', { stdio: 'inherit' });
}
