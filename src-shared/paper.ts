/**
 * The paper's reported test accuracies (its Table 2, "The Accuracy and Cross-Entropy Loss of the models…"), per
 * model and with / without inverse-frequency class weights, as fractions. Tables can show them beside the measured
 * numbers (the `paperAccuracy` and `vsPaper` columns). The baseline has one number in the table (66.37%; its
 * section 5.1 says 64.0%): it stands for both settings. The ensemble is the soft vote of all seven models.
 */
export const PAPER_TABLE2 = {
  baseline: { classWeights: 0.6637, plain: 0.6637 },
  resnet50: { classWeights: 0.724, plain: 0.7265 },
  senet50: { classWeights: 0.7156, plain: 0.7254 },
  vgg16: { classWeights: 0.692, plain: 0.7023 },
  ensemble: { classWeights: 0.755, plain: 0.755 },
} as const;

export type PaperModel = keyof typeof PAPER_TABLE2;

/** The paper's test accuracy for a model trained with or without class weights, or null for a model it did not train. */
export function paperAccuracy(model: string | null | undefined, classWeights: boolean): number | null {
  if (!model || !Object.hasOwn(PAPER_TABLE2, model)) return null;
  const row = PAPER_TABLE2[model as PaperModel];
  return classWeights ? row.classWeights : row.plain;
}
