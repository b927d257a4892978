import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { RuleTester } from 'eslint';
import tseslint from 'typescript-eslint';
import { afterAll, describe, it } from 'vitest';
import enginePackages from './engine-packages.js';

RuleTester.describe = describe;
RuleTester.it = it;
RuleTester.itOnly = it.only;

/** A tiny tree on disk: the rule follows imports through real files. */
const root = mkdtempSync(path.join(tmpdir(), 'loupe-engine-packages-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const files = {
  'ml/model-io/model-folder.ts': "import * as tf from '@tensorflow/tfjs';\nexport const MODEL_CARD = 'x';",
  'ml/model-io/via.ts': "export { MODEL_CARD } from './model-folder';",
  'ml/decode/errors.ts': "import { LoupeError } from '../../contract/index';\nexport const E = 1;",
  'ml/export/lazy.ts': "export const run = () => import('onnxruntime-node');",
  'ml/types.ts': "import type { Tensor } from '@tensorflow/tfjs';\nexport type T = Tensor;",
  'ml/inline-types.ts': "import { type ModelCard } from './model-io/model-folder';\nexport type C = ModelCard;",
  'contract/index.ts': 'export class LoupeError {}',
};
for (const [name, text] of Object.entries(files)) {
  mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
  writeFileSync(path.join(root, name), text);
}
const at = (file) => path.join(root, file);
const options = [{ root }];
const tester = new RuleTester({
  languageOptions: { parser: tseslint.parser, ecmaVersion: 2023, sourceType: 'module' },
});

tester.run('local/engine-packages', enginePackages, {
  valid: [
    { filename: at('main/services/x.ts'), code: "import { E } from '../../ml/decode/errors';", options },
    { filename: at('main/services/x.ts'), code: "import type { T } from '../../ml/types';", options },
    { filename: at('main/services/x.ts'), code: "import { type T } from '../../ml/types';", options },
    { filename: at('main/services/x.ts'), code: "import { type C } from '../../ml/inline-types';", options },
    // The engine worker itself may use tfjs.
    { filename: at('ml/worker.ts'), code: "import { MODEL_CARD } from './model-io/model-folder';", options },
    {
      filename: at('main/services/x.test.ts'),
      code: "import { MODEL_CARD } from '../../ml/model-io/model-folder';",
      options,
    },
  ],
  invalid: [
    {
      filename: at('main/services/x.ts'),
      code: "import { MODEL_CARD } from '../../ml/model-io/model-folder';",
      options,
      errors: [{ messageId: 'engine' }],
    },
    {
      filename: at('main/services/x.ts'),
      code: "import { MODEL_CARD } from '../../ml/model-io/via';",
      options,
      errors: [{ messageId: 'engine' }],
    },
    {
      filename: at('preload/index.ts'),
      code: "import { run } from '../ml/export/lazy';",
      options,
      errors: [{ messageId: 'engine' }],
    },
  ],
});
