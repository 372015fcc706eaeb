/**
 * De-duplicated scores leave out test faces that also sit in the Training split: `exact` those with a
 * byte-identical copy (same content hash), `near` also those whose 64-bit DCT pHash (src-main/analysis/phash.ts)
 * is within NEAR_COPY_MAX_DISTANCE bits of a Training face's: shifted, brightened or re-encoded copies.
 */
export const DEDUP_LEVELS = ['none', 'exact', 'near'] as const;
export type DedupLevel = (typeof DEDUP_LEVELS)[number];

/**
 * Hamming distance (of 64 bits) at or under which two faces count as near copies. Measured on smooth random
 * 48×48 images: a brightened copy lands at 0–6 bits, a copy shifted by one pixel at 4–10 (mean 5), two distinct
 * images of 3,000 at 10 or more. Faces share more structure than random images, so 8 is kept on the strict
 * side; dataset-stats prints how many test faces sit at each distance 0–16, to judge another threshold.
 */
export const NEAR_COPY_MAX_DISTANCE = 8;
