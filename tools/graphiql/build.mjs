// Builds the GraphiQL assets c360 serves itself into app/api/graphiql/ (committed, so `make run`
// needs no Node): one minified script and one stylesheet (its fonts inlined), and GraphiQL's
// licence. Run by `make graphiql-assets` after `npm ci`; the page is app/api/graphiql.html.
import { copyFileSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, '..', '..', 'app', 'api', 'graphiql');
const modules = join(here, 'node_modules');

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

await build({
  entryPoints: { graphiql: join(here, 'src', 'main.js') },
  outdir: out,
  bundle: true,
  minify: true,
  format: 'iife',
  target: ['es2020'],
  legalComments: 'external',
  define: { 'process.env.NODE_ENV': '"production"' },
  // GraphiQL's fonts travel inside the stylesheet: nothing else to serve, nothing fetched elsewhere.
  loader: { '.woff': 'dataurl', '.woff2': 'dataurl', '.ttf': 'dataurl' },
  logLevel: 'warning',
});

copyFileSync(join(modules, 'graphiql', 'LICENSE'), join(out, 'LICENSE'));

let total = 0;
for (const name of readdirSync(out).sort()) {
  const size = statSync(join(out, name)).size;
  total += size;
  console.log(`${name.padEnd(22)} ${(size / 1024).toFixed(0).padStart(6)} KiB`);
}
console.log(`${'total'.padEnd(22)} ${(total / 1024).toFixed(0).padStart(6)} KiB`);
