/**
 * Who may import whom (see ARCHITECTURE.md): renderer → contract; preload → contract;
 * main → contract, ml; ml → contract; contract → nothing of ours. Electron only in the
 * Electron host and the preload; no Node built-ins in code that runs in the page.
 */
import path from 'node:path';

/** Allowed target layers for each source layer (a layer may always import itself). */
export const ALLOWED = {
  contract: [],
  renderer: ['contract'],
  preload: ['contract'],
  main: ['contract', 'ml'],
  ml: ['contract'],
};

/** Layers whose code runs in a browser page or must stay platform-free. */
const NO_NODE_BUILTINS = new Set(['contract', 'renderer']);
/** Packages the contract may use: it is pure TypeScript plus its schema library. */
const CONTRACT_PACKAGES = new Set(['zod']);

function layerOf(root, file) {
  const relative = path.relative(root, file);
  if (relative.startsWith('..') || path.isAbsolute(relative)) return null;
  const top = relative.split(path.sep)[0];
  return Object.hasOwn(ALLOWED, top) ? top : null;
}

function isElectronHostFile(root, file) {
  const relative = path.relative(root, file).split(path.sep).join('/');
  return relative.startsWith('main/hosts/electron/') || relative.startsWith('preload/');
}

function packageName(specifier) {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

const NODE_BUILTIN = /^node:/;
const BARE_BUILTINS = new Set([
  'fs',
  'path',
  'os',
  'crypto',
  'child_process',
  'worker_threads',
  'http',
  'net',
  'stream',
  'url',
  'module',
  'util',
  'events',
  'zlib',
]);

export default {
  meta: {
    type: 'problem',
    docs: { description: 'Enforce the import direction between Loupe layers.' },
    schema: [{ type: 'object', properties: { root: { type: 'string' } }, additionalProperties: false }],
    messages: {
      layer: '{{from}}/ may not import {{to}}/ (allowed: {{allowed}}). See ARCHITECTURE.md.',
      electron: 'Only main/hosts/electron/ and preload/ may import electron; services must run under every host.',
      builtin: '{{from}}/ runs in the page or must stay platform-free: no Node built-in "{{name}}".',
      contractPackage: 'contract/ may only use {{allowed}}; "{{name}}" belongs in a layer below.',
    },
  },
  create(context) {
    const root = context.options[0]?.root ?? context.cwd;
    const file = context.filename;
    const from = layerOf(root, file);
    if (!from) return {};
    // Tests beside the code keep the layer direction but may use the test runner and Node.
    const isTest = /\.test\.[cm]?[jt]s$/.test(file);

    function check(node, specifier) {
      if (typeof specifier !== 'string') return;
      if (specifier.startsWith('.')) {
        const to = layerOf(root, path.resolve(path.dirname(file), specifier));
        if (to && to !== from && !ALLOWED[from].includes(to)) {
          context.report({
            node,
            messageId: 'layer',
            data: { from, to, allowed: ALLOWED[from].join(', ') || 'nothing' },
          });
        }
        return;
      }
      const name = packageName(specifier);
      if (name === 'electron' && !isElectronHostFile(root, file)) {
        context.report({ node, messageId: 'electron' });
        return;
      }
      if (isTest) return;
      if (NO_NODE_BUILTINS.has(from) && (NODE_BUILTIN.test(specifier) || BARE_BUILTINS.has(name))) {
        context.report({ node, messageId: 'builtin', data: { from, name: specifier } });
        return;
      }
      if (from === 'contract' && !CONTRACT_PACKAGES.has(name) && !NODE_BUILTIN.test(specifier)) {
        context.report({
          node,
          messageId: 'contractPackage',
          data: { name, allowed: [...CONTRACT_PACKAGES].join(', ') },
        });
      }
    }

    return {
      ImportDeclaration: (node) => check(node.source, node.source.value),
      ExportNamedDeclaration: (node) => node.source && check(node.source, node.source.value),
      ExportAllDeclaration: (node) => check(node.source, node.source.value),
      ImportExpression: (node) => node.source.type === 'Literal' && check(node.source, node.source.value),
    };
  },
};
