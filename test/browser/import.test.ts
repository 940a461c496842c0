import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, openPage, problemsOf, shot, signIn, startHarness, type Harness } from './browser-harness.ts';

let h: Harness;
let projectId = '';

async function api(method: string, path: string, body?: unknown) {
  const res = await fetch(`${h.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${h.adminToken}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

beforeAll(async () => {
  h = await startHarness();
  projectId = (await api('POST', '/api/v1/projects', { name: 'Reviews corpus' })).body.id;
}, 180_000);
afterAll(async () => {
  await h?.close();
});

/** 20,000 JSON lines of ~250 bytes: about 5 MB, the size issue 17 measured. */
const bigFile = (bad?: number) =>
  Buffer.from(
    Array.from({ length: 20_000 }, (_, i) =>
      i + 1 === bad ? '{"kind":"text","payload":' : JSON.stringify({ externalId: `review-${i + 1}`, kind: 'text', payload: { text: `Review ${i + 1}: the parcel arrived on time and the packaging was fine, nothing to add. `.repeat(2) } }),
    ).join('\n') + '\n',
  );

const viewports = [
  { name: 'desktop', size: { width: 1440, height: 900 } },
  { name: 'phone', size: { width: 390, height: 844 } },
];

describe('importing a file in Chromium', () => {
  for (const v of viewports) {
    it(`streams a 20,000-line file with a progress bar and reports refused lines (${v.name})`, async () => {
      const dataset = (await api('POST', `/api/v1/projects/${projectId}/datasets`, { name: `Reviews ${v.name}` })).body;
      const page = await openPage(h, v.size);
      await signIn(page, 'admin@localhost', ADMIN_PASSWORD);
      await page.goto(`/p/${projectId}/datasets`);
      await page.getByText(`Reviews ${v.name}`).click();
      const panel = page.getByTestId('file-import');

      // An atomic import with one broken line: nothing is written and the line is named.
      await panel.getByLabel('File to import').setInputFiles({ name: 'reviews.jsonl', mimeType: 'application/x-ndjson', buffer: bigFile(1234) });
      await panel.getByRole('button', { name: 'Import file' }).click();
      await panel.getByTestId('failed-lines').getByRole('cell', { name: '1234', exact: true }).waitFor({ timeout: 120_000 });
      await shot(page, `import-refused-${v.name}`);
      expect((await api('GET', `/api/v1/datasets/${dataset.id}`)).body.itemCount ?? 0).toBe(0);

      // The whole file: the bar moves through its phases (seen at least once before the end) and ends full.
      await panel.getByLabel('File to import').setInputFiles({ name: 'reviews.jsonl', mimeType: 'application/x-ndjson', buffer: bigFile() });
      await panel.getByRole('button', { name: 'Import file' }).click();
      await panel.getByTestId('import-progress-label').filter({ hasText: /Uploading|Importing|Reading/ }).waitFor();
      const during = await panel.getByTestId('import-progress-label').innerText();
      expect(during).toMatch(/MB/);
      await shot(page, `import-progress-${v.name}`);
      await panel.getByTestId('import-outcome').filter({ hasText: '20,000 created' }).waitFor({ timeout: 180_000 });
      expect(await panel.getByTestId('import-progress').evaluate((e) => (e as HTMLProgressElement).value)).toBe(1);
      await shot(page, `import-done-${v.name}`);
      const items = await api('GET', `/api/v1/datasets/${dataset.id}/items?limit=1`);
      expect(items.body.data).toHaveLength(1);
      expect(problemsOf(page).filter((p) => !/400|Bad Request/.test(p))).toEqual([]);
      await page.context().close();
    }, 300_000);
  }
});
