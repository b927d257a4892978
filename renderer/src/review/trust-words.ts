/**
 * The trust measures of a heatmap in plain words. Deletion and insertion AUC are read against the
 * model's probability of the explained class on the whole image: a mean probability far below it
 * while the hottest pixels are removed means those pixels carry the decision (Petsiuk et al.,
 * RISE, 2018); the randomisation check is Adebayo et al.'s sanity check (2018).
 */
import type { TrustMeasures } from '../../../contract/index';

/** Deletion AUC under this share of the image's probability: the score collapses early. */
const FAST_DROP = 0.5;
/** Deletion AUC above this share: removing the hot regions hardly matters. */
const SLOW_DROP = 0.8;
/** Insertion AUC above this share: the hot regions alone bring most of the score back. */
const STRONG_RISE = 0.8;
/** Insertion AUC under this share: they bring little of it back. */
const WEAK_RISE = 0.5;

export interface TrustSentence {
  measure: 'deletion' | 'insertion' | 'randomisation';
  /** The figure as shown, e.g. "Deletion AUC 0.12". */
  figure: string;
  words: string;
  tone: 'good' | 'mixed' | 'poor';
}

const figure = (value: number) => value.toFixed(2);

export function trustSentences(trust: TrustMeasures, probability: number): TrustSentence[] {
  // A class the model gives almost no probability leaves nothing to drop; compare against a floor.
  const base = Math.max(probability, Number.EPSILON);
  const deletion = trust.deletionAuc / base;
  const insertion = trust.insertionAuc / base;
  return [
    {
      measure: 'deletion',
      figure: `Deletion AUC ${figure(trust.deletionAuc)}:`,
      ...(deletion < FAST_DROP
        ? {
            words: "the model's score drops fast when these regions are removed, so they are what it relies on.",
            tone: 'good' as const,
          }
        : deletion < SLOW_DROP
          ? {
              words:
                'the score falls as these regions are removed, but slowly: the model also uses other parts of the image.',
              tone: 'mixed' as const,
            }
          : {
              words: 'removing these regions barely changes the score: the map may not show what the model relies on.',
              tone: 'poor' as const,
            }),
    },
    {
      measure: 'insertion',
      figure: `Insertion AUC ${figure(trust.insertionAuc)}:`,
      ...(insertion > STRONG_RISE
        ? { words: 'these regions alone, on a blank image, bring back most of the score.', tone: 'good' as const }
        : insertion > WEAK_RISE
          ? { words: 'these regions alone bring back part of the score.', tone: 'mixed' as const }
          : {
              words: 'these regions alone do not bring the score back: the map misses part of what the model uses.',
              tone: 'poor' as const,
            }),
    },
    {
      measure: 'randomisation',
      figure: `Randomisation correlation ${figure(trust.sanityCorrelation)}:`,
      ...(trust.sanityPassed
        ? {
            words: "the map changes when the model's top layers are scrambled, so it shows what the model learned.",
            tone: 'good' as const,
          }
        : {
            words:
              "the map hardly changes when the model's top layers are scrambled: it may show the image's edges rather than the model's reasoning; do not rely on it.",
            tone: 'poor' as const,
          }),
    },
  ];
}
