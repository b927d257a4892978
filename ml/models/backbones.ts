/**
 * The backbones a detection or Siamese head sits on, built from a config: the classification
 * architectures without their classifier. Undefined config fields take each builder's defaults.
 */
import type { BackboneConfig } from '../../contract/index';
import type { Backbone, BuildContext, InputShape } from './common';
import { mobileNetV2Backbone } from './mobilenet-v2';
import { resnetBackbone } from './resnet';
import { smallCnnBackbone } from './small-cnn';

/** Undefined fields are left out so each builder's documented defaults apply. */
function defined<T extends object>(value: T): { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as {
    [K in keyof T]: Exclude<T[K], undefined>;
  };
}

export function backboneFor(config: BackboneConfig, inputShape: InputShape, ctx: BuildContext): Backbone {
  switch (config.architecture) {
    case 'small-cnn': {
      const { architecture: _, ...args } = config;
      return smallCnnBackbone({ ...defined(args), inputShape }, ctx);
    }
    case 'resnet18': {
      const { architecture: _, ...args } = config;
      return resnetBackbone({ ...defined(args), inputShape }, ctx);
    }
    case 'mobilenet-v2': {
      const { architecture: _, ...args } = config;
      return mobileNetV2Backbone({ ...defined(args), inputShape }, ctx);
    }
  }
}
