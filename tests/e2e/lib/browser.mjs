// Real headless Chromium (Debian's) driven by playwright-core, and the URL of
// the app under test.
import { chromium } from 'playwright-core';
import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize, resolve } from 'node:path';

const repo = resolve(import.meta.dirname, '../../..');

export const artifacts = join(repo, 'tests/artifacts');

export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: ['--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
}

const types = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.wasm': 'application/wasm',
  '.css': 'text/css',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

// Serves dist/ with the single-page-app fallback, for tests that need only the
// static app. Resolves to { url, close }.
export function serveDist(dist = join(repo, 'dist')) {
  const server = createServer(async (req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url, 'http://x').pathname));
    const file = join(dist, path);
    for (const candidate of [file, join(file, 'index.html'), join(dist, 'index.html')]) {
      if (!candidate.startsWith(dist)) break;
      try {
        const body = await readFile(candidate);
        res.writeHead(200, { 'content-type': types[extname(candidate)] ?? 'application/octet-stream' });
        res.end(body);
        return;
      } catch { /* try the next candidate */ }
    }
    res.writeHead(404).end();
  });
  return new Promise((ok) => server.listen(0, '127.0.0.1', () => ok({
    url: `http://127.0.0.1:${server.address().port}/`,
    close: () => new Promise((done) => server.close(done)),
  })));
}
