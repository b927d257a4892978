/**
 * TensorFlow.js, ONNX Runtime and Dawn belong to the engine worker. If the Electron main
 * process imported them, even through an innocent constant in an ml/ file, every window would
 * pay their start-up and memory, and a native binding would load in the wrong process. This
 * rule follows each runtime import of a main/ or preload/ file through our own files (type-only
 * imports are erased and do not count) and reports the chain that reaches such a package.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { ENGINE_PACKAGES, isTestFile, layerOf } from './layers.js';

const CHECKED_LAYERS = new Set(['main', 'preload']);
const EXTENSIONS = ['.ts', '.mts', '.js', '.mjs'];

/** Runtime import specifiers of a file, cached by path and modification time. */
const importsCache = new Map();

function runtimeImports(file) {
  const mtime = statSync(file).mtimeMs;
  const cached = importsCache.get(file);
  if (cached && cached.mtime === mtime) return cached.specifiers;
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, false);
  const specifiers = [];
  const visit = (node) => {
    if (ts.isImportDeclaration(node) && !isTypeOnlyImport(node)) specifiers.push(node.moduleSpecifier.text);
    else if (ts.isExportDeclaration(node) && node.moduleSpecifier && !node.isTypeOnly) {
      specifiers.push(node.moduleSpecifier.text);
    } else if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments[0] &&
      ts.isStringLiteral(node.arguments[0])
    ) {
      specifiers.push(node.arguments[0].text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  importsCache.set(file, { mtime, specifiers });
  return specifiers;
}

/** `import type {…}` and `import { type A, type B }` are erased by the compiler. */
function isTypeOnlyImport(node) {
  const clause = node.importClause;
  if (!clause) return false;
  if (clause.isTypeOnly) return true;
  if (clause.name) return false;
  const bindings = clause.namedBindings;
  return !!bindings && ts.isNamedImports(bindings) && bindings.elements.every((element) => element.isTypeOnly);
}

function resolveRelative(fromFile, specifier) {
  const base = path.resolve(path.dirname(fromFile), specifier);
  const stem = base.replace(/\.[cm]?js$/, '');
  const candidates = [
    base,
    ...EXTENSIONS.map((ext) => stem + ext),
    ...EXTENSIONS.map((ext) => path.join(base, `index${ext}`)),
  ];
  return candidates.find((candidate) => existsSync(candidate) && statSync(candidate).isFile()) ?? null;
}

const isEnginePackage = (specifier) => ENGINE_PACKAGES.some((name) => specifier === name || specifier.startsWith(name));

/** The chain of files from `file` to an engine package, or null; memoised per lint run. */
function findEngineChain(root, file, memo, visiting) {
  if (memo.has(file)) return memo.get(file);
  if (visiting.has(file)) return null;
  visiting.add(file);
  let found = null;
  for (const specifier of runtimeImports(file)) {
    if (isEnginePackage(specifier)) {
      found = [specifier];
      break;
    }
    if (!specifier.startsWith('.')) continue;
    const target = resolveRelative(file, specifier);
    if (!target || !layerOf(root, target)) continue;
    const chain = findEngineChain(root, target, memo, visiting);
    if (chain) {
      found = [path.relative(root, target), ...chain];
      break;
    }
  }
  visiting.delete(file);
  memo.set(file, found);
  return found;
}

export default {
  meta: {
    type: 'problem',
    docs: { description: 'main/ and preload/ must not pull engine packages (tfjs, onnxruntime, webgpu) in.' },
    schema: [{ type: 'object', properties: { root: { type: 'string' } }, additionalProperties: false }],
    messages: {
      engine:
        '{{from}}/ pulls "{{name}}" into its process through {{chain}}: move what it needs into a file without it (see ARCHITECTURE.md).',
    },
  },
  create(context) {
    const root = context.options[0]?.root ?? context.cwd;
    const file = context.filename;
    const from = layerOf(root, file);
    if (!CHECKED_LAYERS.has(from) || isTestFile(root, file)) return {};
    const memo = new Map();

    function check(node, specifier) {
      if (typeof specifier !== 'string' || !specifier.startsWith('.')) return;
      if (node.parent?.importKind === 'type' || node.parent?.exportKind === 'type') return;
      if (node.parent?.specifiers?.length && node.parent.specifiers.every((s) => s.importKind === 'type')) return;
      const target = resolveRelative(file, specifier);
      // Reported where the import leaves the process's own layer, once, not in every importer.
      if (!target || layerOf(root, target) === from) return;
      const chain = findEngineChain(root, target, memo, new Set());
      if (!chain) return;
      const files = [path.relative(root, target), ...chain.slice(0, -1)];
      context.report({ node, messageId: 'engine', data: { from, name: chain.at(-1), chain: files.join(' → ') } });
    }

    return {
      ImportDeclaration: (node) => check(node.source, node.source.value),
      ExportNamedDeclaration: (node) => node.source && check(node.source, node.source.value),
      ExportAllDeclaration: (node) => check(node.source, node.source.value),
      ImportExpression: (node) => node.source.type === 'Literal' && check(node.source, node.source.value),
    };
  },
};
