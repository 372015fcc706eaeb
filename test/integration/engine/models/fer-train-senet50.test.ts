import { it } from 'vitest';
import { ferTrainTransfer } from './fer-train-helper';

it('fer train --model senet50 --weights FILE.h5 --freeze 270 fine-tunes at 64×64 on wasm with the file\'s weights', async () => {
  await ferTrainTransfer('senet50', 270, 'conv5_1_1x1_down', 'conv5_3_1x1_up');
});
