import * as tf from '@tensorflow/tfjs';
import type { TransferArchitecture, WeightVariant } from '../../../../src-shared/contract/weights';
import { paperHead } from '../heads';
import { LayerFactory, type Sym } from './layers';
import { kerasResNetBase, vggfaceResNetBase } from './resnet';
import { vgg16Base } from './vgg';

export interface VariantDef {
  /** The input normalisation the weight source was trained with. */
  normalize: 'vggface' | 'imagenet-caffe';
  /** Where weights in this naming come from, for messages and docs. */
  source: string;
  /** The conv base (include_top=False) on `input`; returns its last feature tensor. */
  base(f: LayerFactory, input: Sym): Sym;
}

export interface ArchitectureDef {
  name: TransferArchitecture;
  /** Smallest input side: every pooling stage must keep at least one pixel. */
  minInputSize: number;
  /** Dropout after each head FC layer (the paper's VGG16 head has 0.5). */
  headDropout: number;
  /** The naming the workbench builds when no weights say otherwise. */
  defaultVariant: WeightVariant;
  variants: Partial<Record<WeightVariant, VariantDef>>;
}

const VGGFACE2 = 'keras-vggface VGGFace2 weights (rcmalli_vggface_tf_notop_*.h5)';

export const ARCHITECTURES: Record<TransferArchitecture, ArchitectureDef> = {
  resnet50: {
    name: 'resnet50',
    // conv1 (s2) → pool (s2) → three stride-2 stages: 32 px leaves a 1×1 map before the global pool.
    minInputSize: 32,
    headDropout: 0,
    defaultVariant: 'vggface',
    variants: {
      vggface: { normalize: 'vggface', source: VGGFACE2, base: (f, x) => vggfaceResNetBase(f, x, { se: false, bnEps: 1e-3 }) },
      keras: {
        normalize: 'imagenet-caffe',
        source: 'Keras Applications ImageNet weights (resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5)',
        base: (f, x) => kerasResNetBase(f, x),
      },
    },
  },
  senet50: {
    name: 'senet50',
    minInputSize: 32,
    headDropout: 0,
    defaultVariant: 'vggface',
    variants: {
      // keras-vggface's SENET50 uses BN epsilon 1e-4 (its RESNET50 keeps Keras' 1e-3).
      vggface: { normalize: 'vggface', source: VGGFACE2, base: (f, x) => vggfaceResNetBase(f, x, { se: true, bnEps: 1e-4 }) },
    },
  },
  vgg16: {
    name: 'vgg16',
    // keras-vggface's VGG16 declares min_size=48 (five 2×2 pools leave a 1×1 map).
    minInputSize: 48,
    headDropout: 0.5,
    defaultVariant: 'vggface',
    variants: {
      vggface: { normalize: 'vggface', source: 'keras-vggface VGGFace weights (rcmalli_vggface_tf_notop_vgg16.h5)', base: (f, x) => vgg16Base(f, x, 'vggface') },
      keras: {
        normalize: 'imagenet-caffe',
        source: 'Keras Applications ImageNet weights (vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5)',
        base: (f, x) => vgg16Base(f, x, 'keras'),
      },
    },
  },
};

export function variantDef(arch: TransferArchitecture, variant: WeightVariant): VariantDef {
  const def = ARCHITECTURES[arch].variants[variant];
  if (!def) {
    const known = Object.keys(ARCHITECTURES[arch].variants).join(', ');
    throw new Error(`${arch} has no '${variant}' layer naming (it has ${known}).`);
  }
  return def;
}

/** The conv base alone (include_top=False), as its weight files describe it. */
export function buildBase(arch: TransferArchitecture, variant: WeightVariant, inputSize: number, seed: number, opts: { zeros?: boolean } = {}): tf.LayersModel {
  const f = new LayerFactory(seed, opts);
  const input = tf.input({ shape: [inputSize, inputSize, 3], name: 'image' });
  const out = variantDef(arch, variant).base(f, input);
  return tf.model({ inputs: input, outputs: out, name: `${arch}_${variant}_base` });
}

/** Base + the paper's head, in one graph so freezing "the first N layers" counts as Keras does. */
export function buildFull(arch: TransferArchitecture, variant: WeightVariant, inputSize: number, seed: number, opts: { zeroBase?: boolean } = {}): tf.LayersModel {
  const input = tf.input({ shape: [inputSize, inputSize, 3], name: 'image' });
  // When pretrained weights will overwrite the base, skip generating ~25M random numbers for it.
  const features = variantDef(arch, variant).base(new LayerFactory(seed, { zeros: opts.zeroBase ?? false }), input);
  const out = paperHead(new LayerFactory(seed + 1), features, { dropout: ARCHITECTURES[arch].headDropout, seed });
  return tf.model({ inputs: input, outputs: out, name: arch });
}
