/** A run's detection and verification settings with their defaults filled in (what records and cards show). */
import {
  detectionSettingsSchema,
  LoupeError,
  verificationSettingsSchema,
  type DetectionSettings,
  type DetectionSettingsOverride,
  type TrainingConfig,
  type VerificationSettings,
} from '../../../contract/index';

/** Settings from `base` (a card's or a config's), each field replaced by `override`'s where it sets one. */
export function resolvedDetectionSettings(
  base: DetectionSettingsOverride | undefined,
  override: DetectionSettingsOverride = {},
): DetectionSettings {
  const set = Object.fromEntries(Object.entries(override).filter(([, v]) => v !== undefined));
  return detectionSettingsSchema.parse({ ...base, ...set });
}

export function resolvedVerificationSettings(
  settings: Partial<VerificationSettings> | undefined,
): VerificationSettings {
  return verificationSettingsSchema.parse(settings ?? {});
}

/** The config a run records: the settings of its own kind filled in; another kind's settings are refused. */
export function withTaskSettings(config: TrainingConfig): TrainingConfig {
  if (config.detection && config.task !== 'detection')
    throw new LoupeError('INVALID_REQUEST', `Detection settings were given for a ${config.task} run.`);
  if (config.verification && config.task !== 'verification')
    throw new LoupeError('INVALID_REQUEST', `Verification settings were given for a ${config.task} run.`);
  if (config.task === 'detection') return { ...config, detection: resolvedDetectionSettings(config.detection) };
  if (config.task === 'verification')
    return { ...config, verification: resolvedVerificationSettings(config.verification) };
  return config;
}
