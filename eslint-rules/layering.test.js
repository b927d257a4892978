import path from 'node:path';
import { RuleTester } from 'eslint';
import tseslint from 'typescript-eslint';
import { describe, it } from 'vitest';
import layering from './layering.js';

RuleTester.describe = describe;
RuleTester.it = it;
RuleTester.itOnly = it.only;

const root = path.resolve(import.meta.dirname, '..');
const at = (file) => path.join(root, file);
const tester = new RuleTester({
  languageOptions: { parser: tseslint.parser, ecmaVersion: 2023, sourceType: 'module' },
});
const options = [{ root }];

tester.run('local/layering', layering, {
  valid: [
    {
      filename: at('renderer/src/stores/engine.ts'),
      code: "import { channels } from '../../../contract/index';",
      options,
    },
    {
      filename: at('preload/index.ts'),
      code: "import { createLoupeClient } from '../contract/client';\nimport { ipcRenderer } from 'electron';",
      options,
    },
    {
      filename: at('main/services/index.ts'),
      code: "import { x } from '../../ml/backend';\nimport { y } from '../../contract/index';",
      options,
    },
    {
      filename: at('ml/backend.ts'),
      code: "import { z } from '../contract/index';\nimport os from 'node:os';",
      options,
    },
    { filename: at('main/hosts/electron/main.ts'), code: "import { app } from 'electron';", options },
    { filename: at('contract/index.ts'), code: "import { z } from 'zod';", options },
    { filename: at('tests/integration/x.test.ts'), code: "import { a } from '../../renderer/src/sections';", options },
    { filename: at('contract/wire.test.ts'), code: "import { it } from 'vitest';\nimport fs from 'node:fs';", options },
    { filename: at('ml/x.ts'), code: "import { writeFileAtomic } from '../base/atomic-write';", options },
    { filename: at('main/services/x.ts'), code: "import Database from 'better-sqlite3';", options },
    { filename: at('ml/kernels/x-test-support.ts'), code: "import { expect } from 'vitest';", options },
    { filename: at('ml/x.test.ts'), code: "import { cases } from '../tests/fixtures/imaging/cases';", options },
  ],
  invalid: [
    {
      filename: at('renderer/src/App.vue.ts'),
      code: "import { Services } from '../../main/services/index';",
      options,
      errors: [{ messageId: 'layer' }],
    },
    {
      filename: at('renderer/src/x.ts'),
      code: "import { initBackend } from '../../ml/backend';",
      options,
      errors: [{ messageId: 'layer' }],
    },
    {
      filename: at('ml/backend.ts'),
      code: "import { Services } from '../main/services/index';",
      options,
      errors: [{ messageId: 'layer' }],
    },
    {
      filename: at('main/services/index.ts'),
      code: "import { SECTIONS } from '../../renderer/src/sections';",
      options,
      errors: [{ messageId: 'layer' }],
    },
    {
      filename: at('contract/index.ts'),
      code: "import { Services } from '../main/services/index';",
      options,
      errors: [{ messageId: 'layer' }],
    },
    {
      filename: at('preload/index.ts'),
      code: "export * from '../main/security/csp';",
      options,
      errors: [{ messageId: 'layer' }],
    },
    {
      filename: at('main/services/index.ts'),
      code: "import { app } from 'electron';",
      options,
      errors: [{ messageId: 'electron' }],
    },
    {
      filename: at('ml/worker.ts'),
      code: "const e = await import('electron');",
      options,
      errors: [{ messageId: 'electron' }],
    },
    {
      filename: at('renderer/src/x.ts'),
      code: "import fs from 'node:fs';",
      options,
      errors: [{ messageId: 'builtin' }],
    },
    { filename: at('contract/x.ts'), code: "import path from 'path';", options, errors: [{ messageId: 'builtin' }] },
    {
      filename: at('contract/x.ts'),
      code: "import * as tf from '@tensorflow/tfjs';",
      options,
      errors: [{ messageId: 'package' }],
    },
    {
      filename: at('main/services/x.ts'),
      code: "import * as tf from '@tensorflow/tfjs';",
      options,
      errors: [{ messageId: 'package' }],
    },
    {
      filename: at('ml/x.ts'),
      code: "import Database from 'better-sqlite3';",
      options,
      errors: [{ messageId: 'package' }],
    },
    {
      filename: at('main/services/x.ts'),
      code: "import { ref } from 'vue';",
      options,
      errors: [{ messageId: 'package' }],
    },
    { filename: at('ml/x.ts'), code: "import { it } from 'vitest';", options, errors: [{ messageId: 'package' }] },
    {
      filename: at('ml/x.ts'),
      code: "import leftPad from 'left-pad';",
      options,
      errors: [{ messageId: 'unknownPackage' }],
    },
    // The whole list of Node built-ins, not a few names.
    { filename: at('renderer/src/x.ts'), code: "import dns from 'dns';", options, errors: [{ messageId: 'builtin' }] },
    {
      filename: at('contract/x.ts'),
      code: "import { Buffer } from 'buffer';",
      options,
      errors: [{ messageId: 'builtin' }],
    },
    {
      filename: at('base/x.ts'),
      code: "import { y } from '../ml/backends/select';",
      options,
      errors: [{ messageId: 'layer' }],
    },
    {
      filename: at('contract/channels/x.ts'),
      code: "import { runIdSchema } from '../index';",
      options,
      errors: [{ messageId: 'barrel' }],
    },
    {
      filename: at('tests/integration/x.test.ts'),
      code: "import { app } from 'electron';",
      options,
      errors: [{ messageId: 'electron' }],
    },
    {
      filename: at('contract/x.test.ts'),
      code: "import { Services } from '../main/services/index';",
      options,
      errors: [{ messageId: 'layer' }],
    },
  ],
});
