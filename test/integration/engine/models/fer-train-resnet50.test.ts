import { it } from 'vitest';
import { ferTrainTransfer } from './fer-train-helper';

it('fer train --model resnet50 --weights FILE.h5 --freeze 166 fine-tunes at 64×64 on wasm with the file\'s weights', async () => {
  await ferTrainTransfer('resnet50', 166, 'conv4_6_3x3', 'conv5_3_3x3');
});
