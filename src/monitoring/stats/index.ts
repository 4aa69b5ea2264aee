/* Drift statistics over typed arrays (issue 7, item 4), checked against scipy/numpy in stats.test.ts. */
export { chiSquareHomogeneityImpl, type ChiSquareResult } from './chi-square.js';
export { chi2Sf, gammaP, gammaQ, logGamma } from './gamma.js';
export { KS_MAX_AUTO_N, kolmogorovSf, ks2SampImpl, ksStatisticImpl, type KsMethod, type KsResult } from './ks.js';
export { PSI_BINS, PSI_EPSILON, binCountsImpl, psiCategoricalImpl, psiEdgesImpl, psiFromCountsImpl, psiNumericImpl, quantileSortedImpl } from './psi.js';
