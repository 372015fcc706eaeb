// The import-layering rule (VS Code's "code-layering" idea): every source file belongs to one layer, and a
// layer may import only the layers and packages listed for it below. A file's layer is its longest matching
// path prefix. An import is checked on the path it resolves to, so `../../src-main/x` and `../x` are judged by
// where they point, not by how they are spelled. The table is the architecture: README.md's "Layout" in rules.
import { builtinModules } from 'node:module';
import { dirname, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Node's own modules, spelled with or without `node:`. */
const NODE_BUILTINS = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));

// Layers inside src-main, lowest first. Each may import those listed in `may` (itself always included).
const FOUNDATION = ['main/asar', 'main/disk-full', 'main/processes', 'main/child-launcher', 'main/child-port', 'main/child-entry', 'main/events', 'main/analysis', 'main/store', 'main/home', 'main/context', 'main/native-addons', 'main/write-file'];
const DOMAIN = [...FOUNDATION, 'main/data', 'main/engine'];
const JOBS = [...DOMAIN, 'main/evaluation', 'main/trainer', 'main/studies'];
const SERVICES = [...JOBS, 'main/services'];
const SHARED = ['shared', 'shared/channel-names'];
/** Node and npm packages, without electron: src-main runs in plain Node (the CLI, `fer web`, the training child). */
const NODE_ONLY = { all: true, except: ['electron'] };

const MAIN_WHY = 'src-main is layered bottom-up: foundation (store, home, context, events, processes, analysis…) < data, engine < evaluation, trainer, studies < services < cli, transports, electron. A lower layer never imports a higher one, so the engine can be driven by a service, the CLI or a test without pulling in the rest.';

/**
 * @typedef {{ all: true, except: string[] } | string[]} Packages  an allow-list of package names (`node:` = every Node builtin), or all but some
 * @typedef {{ name: string, prefix: string, may: string[], typeOnly?: string[], packages: Packages, why: string }} Layer
 */

/** @type {Layer[]} */
export const LAYERS = [
  {
    name: 'shared', prefix: 'src-shared', may: SHARED, packages: ['zod'],
    why: 'src-shared runs everywhere (renderer, preload, main, child processes) and is bundled into the browser: it imports only itself and zod, never src-main, src-renderer, src-preload, electron or Node modules.',
  },
  {
    name: 'shared/channel-names', prefix: 'src-shared/channel-names', may: [], typeOnly: ['shared'], packages: [],
    why: 'channel-names.ts is what the sandboxed preload loads: plain data only (types from the contract are fine), no zod and no other module.',
  },
  {
    name: 'preload', prefix: 'src-preload', may: ['shared/channel-names'], typeOnly: SHARED, packages: ['electron'],
    why: 'A sandboxed preload can require only electron: at run time it imports electron and src-shared/channel-names, nothing else (types from src-shared are fine, they are erased).',
  },
  {
    name: 'renderer', prefix: 'src-renderer', may: SHARED, typeOnly: ['main/transports/ws-protocol'], packages: ['svelte', 'chart.js'],
    why: 'src-renderer runs in the browser: it imports itself, src-shared, svelte and chart.js. Everything in Node is reached through the contract (window.fer / the WebSocket bridge), never by importing src-main (only the bridge protocol types, with `import type`).',
  },
  // src-main
  ...FOUNDATION.map((name) => ({ name, prefix: `src-main/${name.slice(5)}`, may: [...FOUNDATION, ...SHARED], packages: NODE_ONLY, why: MAIN_WHY })),
  { name: 'main/data', prefix: 'src-main/data', may: [...FOUNDATION, 'main/data', ...SHARED], packages: NODE_ONLY, why: MAIN_WHY },
  { name: 'main/engine', prefix: 'src-main/engine', may: [...DOMAIN, ...SHARED], packages: NODE_ONLY, why: MAIN_WHY },
  ...['main/evaluation', 'main/trainer', 'main/studies'].map((name) => ({ name, prefix: `src-main/${name.slice(5)}`, may: [...JOBS, ...SHARED], packages: NODE_ONLY, why: MAIN_WHY })),
  { name: 'main/services', prefix: 'src-main/services', may: [...SERVICES, ...SHARED], packages: NODE_ONLY, why: `${MAIN_WHY} Services are the contract's implementation and never import electron.` },
  { name: 'main/transports', prefix: 'src-main/transports', may: [...SERVICES, 'main/transports', 'main/transports/ws-protocol', ...SHARED], packages: NODE_ONLY, why: MAIN_WHY },
  { name: 'main/transports/ws-protocol', prefix: 'src-main/transports/ws-protocol', may: SHARED, packages: [], why: 'The bridge protocol types are read by the renderer too: they import only src-shared.' },
  { name: 'main/cli', prefix: 'src-main/cli', may: [...SERVICES, 'main/cli', 'main/transports', 'main/transports/ws-protocol', ...SHARED], packages: NODE_ONLY, why: `${MAIN_WHY} The CLI may start the bridge (\`fer web\`).` },
  {
    name: 'main/unclassified', prefix: 'src-main', may: [], packages: [],
    why: 'This src-main file or folder is in no layer of lint/layers.mjs: add it to LAYERS (at the lowest tier whose imports it needs) so its imports, and imports of it, are checked.',
  },
  {
    name: 'main/electron', prefix: 'src-main/electron', may: [...SERVICES, 'main/electron', ...SHARED], packages: { all: true, except: [] },
    why: `${MAIN_WHY} src-main/electron is the only main-process code that imports electron, so everything else runs without it.`,
  },
];

/** @param {string} path repo-relative, `/`-separated */
export function layerOf(path) {
  let best;
  for (const l of LAYERS) {
    if (path === l.prefix || path.startsWith(`${l.prefix}/`) || path.startsWith(`${l.prefix}.`)) {
      if (!best || l.prefix.length > best.prefix.length) best = l;
    }
  }
  return best;
}

/** `@scope/name/sub` → `@scope/name`; `node:fs` and `fs` → `node:`. */
function packageOf(spec) {
  if (NODE_BUILTINS.has(spec) || NODE_BUILTINS.has(spec.split('/')[0])) return 'node:';
  const parts = spec.split('/');
  return spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/**
 * Why `spec`, imported from `file`, breaks the layering, or undefined when it does not.
 * @param {string} file absolute path of the importing file
 * @param {string} spec the import specifier as written
 * @param {boolean} typeOnly whether the import is erased at compile time (`import type`, `export type`)
 */
export function violation(file, spec, typeOnly) {
  const from = layerOf(relative(REPO, file).split(sep).join('/'));
  if (!from) return undefined;
  if (spec.startsWith('.') || spec.startsWith('/')) {
    const target = relative(REPO, resolve(dirname(file), spec)).split(sep).join('/');
    const to = layerOf(target);
    if (!to || to === from) return undefined;
    if (from.may.includes(to.name) || (typeOnly && from.typeOnly?.includes(to.name))) return undefined;
    const why = to.name === 'main/unclassified' ? to.why : from.why;
    return `${from.prefix} (layer ${from.name}) may not import ${target} (layer ${to.name})${from.typeOnly?.includes(to.name) ? ' except with `import type`' : ''}. ${why}`;
  }
  const pkg = packageOf(spec);
  const p = from.packages;
  const allowed = Array.isArray(p) ? p.includes(pkg) : !p.except.includes(pkg);
  if (allowed) return undefined;
  return `${from.prefix} (layer ${from.name}) may not import '${spec}'${pkg === 'node:' ? ' (a Node module)' : ''}. ${from.why}`;
}

/** @type {import('eslint').Rule.RuleModule} */
export const layersRule = {
  meta: {
    type: 'problem',
    docs: { description: 'Each folder imports only the layers and packages lint/layers.mjs lists for it' },
    schema: [],
    messages: { layer: '{{why}}' },
  },
  create(context) {
    // The real file: for a .svelte file's script (see svelte-scripts.mjs) context.filename is a virtual child path.
    const file = context.physicalFilename;
    const check = (node, source, typeOnly) => {
      if (!source || source.type !== 'Literal' || typeof source.value !== 'string') return;
      const why = violation(file, source.value, typeOnly);
      if (why) context.report({ node: source, messageId: 'layer', data: { why } });
    };
    const allTypes = (node) => node.importKind === 'type' || node.exportKind === 'type'
      || (node.specifiers?.length > 0 && node.specifiers.every((s) => s.importKind === 'type' || s.exportKind === 'type'));
    return {
      ImportDeclaration: (node) => check(node, node.source, allTypes(node)),
      ExportNamedDeclaration: (node) => check(node, node.source, allTypes(node)),
      ExportAllDeclaration: (node) => check(node, node.source, node.exportKind === 'type'),
      ImportExpression: (node) => check(node, node.source, false),
      // `typeof import('x')` and `import('x').T` in types: erased, so judged as type-only.
      TSImportType: (node) => check(node, node.argument?.type === 'TSLiteralType' ? node.argument.literal : node.source, true),
    };
  },
};
