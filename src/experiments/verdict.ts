/**
 * The verdict rule for a claimed ordering of two groups of seeds on one metric (docs/RESULTS.md):
 * the claim "A is better than B" is
 *   - supported       when the means are ordered as claimed and the gap between them exceeds
 *                     the larger of the two seed standard deviations;
 *   - contradicted    when the opposite order holds by the same rule;
 *   - not separable at this budget otherwise, and whenever either group has fewer than two
 *                     seeds (no spread to compare the gap with).
 * "Better" is higher or lower as the metric says (alignment: higher; test error: lower).
 */
import type { MeanSd } from './summary.ts';

export type Verdict = 'supported' | 'contradicted' | 'not separable at this budget';

export function verdict(claimedBetter: MeanSd, claimedWorse: MeanSd, better: 'higher' | 'lower'): Verdict {
  if (claimedBetter.n < 2 || claimedWorse.n < 2) return 'not separable at this budget';
  const gap = better === 'higher' ? claimedBetter.mean - claimedWorse.mean : claimedWorse.mean - claimedBetter.mean;
  const spread = Math.max(claimedBetter.sd, claimedWorse.sd);
  if (!Number.isFinite(gap) || !Number.isFinite(spread)) return 'not separable at this budget';
  if (gap > spread) return 'supported';
  if (-gap > spread) return 'contradicted';
  return 'not separable at this budget';
}
