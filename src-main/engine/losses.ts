import * as tf from '@tensorflow/tfjs';

const EPS = 1e-7;

/**
 * Mean categorical cross-entropy from softmax probabilities and integer labels, optionally class-weighted.
 * Weighting inside the loss (as Keras' class_weight does: mean of w[y]·CE) avoids tfjs' classWeight path,
 * which reads the labels back to the CPU on every batch.
 */
export function crossEntropy(probs: tf.Tensor2D, labels: tf.Tensor1D, classWeights: tf.Tensor1D | null): tf.Scalar {
  return tf.tidy(() => {
    const depth = probs.shape[1];
    const oneHot = tf.oneHot(labels, depth).toFloat();
    const perSample = oneHot.mul(probs.clipByValue(EPS, 1 - EPS).log()).sum(1).neg();
    if (!classWeights) return perSample.mean() as tf.Scalar;
    const w = oneHot.mul(classWeights.reshape([1, depth])).sum(1);
    return perSample.mul(w).mean() as tf.Scalar;
  });
}

/** Below this a probability counts as 0: the gradient −y/p is taken at this floor instead (float32 normals start at 1.2e-38). */
const GRAD_FLOOR = 1e-30;

/**
 * −Σ y·log p per sample, reported with p clipped to [EPS, 1 − EPS] (Keras' convention, so a face on the floor scores
 * −ln 1e-7 = 16.118), but differentiated as −y/p. The clip's own gradient is 0 outside the range: a true class whose
 * probability fell below 1e-7 sent no gradient back, so a network pushed into saturation (by a bad batch, a too high
 * learning rate) stayed there, at chance, for good. Through the softmax, −y/p gives p − y, the gradient of
 * softmax cross-entropy on logits that PyTorch and TensorFlow's Keras use, which pulls such a network back.
 */
const sampleCrossEntropy = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [y, p, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
  save([y, p]);
  return {
    // + 0·Σp: the clip maps NaN to EPS (its min/max take the bound), so a NaN network would score a finite
    // −ln 1e-7 = 16.118 a face and train on, silently; this keeps NaN NaN for the divergence guard.
    value: y.mul(p.clipByValue(EPS, 1 - EPS).log()).sum(-1).neg().add(p.sum(-1).mul(0)),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [ys, ps] = saved as [tf.Tensor, tf.Tensor];
      const d = dy.expandDims(-1);
      return [tf.zerosLike(ys), d.mul(ys).div(ps.maximum(GRAD_FLOOR)).neg()];
    },
  };
}) as (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Tensor;

/**
 * The same loss as a Keras-style (yTrue one-hot, yPred probs) function for model.compile: model.trainOnBatch
 * runs the graph in training mode (batch-norm batch statistics, dropout), which model.apply does not.
 */
export function makeLoss(classWeights: tf.Tensor1D | null): (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.Tensor {
  return (yTrue, yPred) =>
    tf.tidy(() => {
      const perSample = sampleCrossEntropy(yTrue, yPred);
      if (!classWeights) return perSample.mean();
      return perSample.mul(yTrue.mul(classWeights.reshape([1, -1])).sum(-1)).mean();
    });
}
