/**
 * Who may import whom (see ARCHITECTURE.md and the table in layers.js): our layers by relative
 * path, and every package by name, Node built-ins included. Electron only in the Electron host
 * and the preload; no Node built-in in code that runs in the page or in the contract.
 */
import path from 'node:path';
import {
  ALLOWED,
  NO_NODE_BUILTINS,
  PACKAGE_LAYERS,
  isBuiltin,
  isElectronHostFile,
  isTestFile,
  layerOf,
  packageAllowed,
  packageName,
} from './layers.js';

export default {
  meta: {
    type: 'problem',
    docs: { description: 'Enforce the import direction between Loupe layers and where each package may be used.' },
    schema: [{ type: 'object', properties: { root: { type: 'string' } }, additionalProperties: false }],
    messages: {
      layer: '{{from}}/ may not import {{to}}/ (allowed: {{allowed}}). See ARCHITECTURE.md.',
      electron: 'Only main/hosts/electron/ and preload/ may import electron; services must run under every host.',
      builtin: '{{from}}/ runs in the page or must stay platform-free: no Node built-in "{{name}}".',
      barrel:
        'Inside contract/, import the module that declares it, not contract/index.ts: the index imports every channel, so this is an import cycle and the value is undefined while modules load.',
      package: '{{from}}/ may not import "{{name}}" (it belongs to {{allowed}}). See eslint-rules/layers.js.',
      unknownPackage: '"{{name}}" is not in the package table of eslint-rules/layers.js: say which layers may use it.',
    },
  },
  create(context) {
    const root = context.options[0]?.root ?? context.cwd;
    const file = context.filename;
    const from = layerOf(root, file);
    if (!from) return {};
    const isTest = isTestFile(root, file);

    function checkRelative(node, specifier) {
      const to = layerOf(root, path.resolve(path.dirname(file), specifier));
      const target = path.resolve(path.dirname(file), specifier);
      if (
        from === 'contract' &&
        !isTest &&
        /^contract[\\/]index(\.ts)?$/.test(path.relative(root, target)) &&
        !/[\\/]client\.ts$/.test(file)
      ) {
        context.report({ node, messageId: 'barrel' });
        return;
      }
      // Test code anywhere may use the shared fixtures, helpers and reference models.
      if (isTest && (to === 'tests' || to === 'bench')) return;
      if (to && to !== from && !ALLOWED[from].includes(to)) {
        context.report({
          node,
          messageId: 'layer',
          data: { from, to, allowed: ALLOWED[from].join(', ') || 'nothing' },
        });
      }
    }

    function checkPackage(node, specifier) {
      if (isBuiltin(specifier)) {
        // Tests run under Node whatever layer they test.
        if (NO_NODE_BUILTINS.has(from) && !isTest) {
          context.report({ node, messageId: 'builtin', data: { from, name: specifier } });
        }
        return;
      }
      const name = packageName(specifier);
      if (name === 'electron' && !isElectronHostFile(root, file)) {
        context.report({ node, messageId: 'electron' });
        return;
      }
      const allowed = packageAllowed(name, from, isTest);
      if (allowed === null) context.report({ node, messageId: 'unknownPackage', data: { name } });
      else if (!allowed) {
        context.report({ node, messageId: 'package', data: { from, name, allowed: describeHome(name) } });
      }
    }

    function check(node, specifier) {
      if (typeof specifier !== 'string') return;
      if (specifier.startsWith('.')) checkRelative(node, specifier);
      else checkPackage(node, specifier);
    }

    return {
      ImportDeclaration: (node) => check(node.source, node.source.value),
      ExportNamedDeclaration: (node) => node.source && check(node.source, node.source.value),
      ExportAllDeclaration: (node) => check(node.source, node.source.value),
      ImportExpression: (node) => node.source.type === 'Literal' && check(node.source, node.source.value),
    };
  },
};

function describeHome(name) {
  return PACKAGE_LAYERS[name].map((layer) => (layer === 'test' ? 'tests' : `${layer}/`)).join(', ');
}
