import test from 'node:test';
import assert from 'node:assert/strict';
import { shapeSize } from '../../src/picture/size.js';

const SHAPES = /** @type {const} */ (['portrait', 'landscape', 'square']);
const RATIO = { portrait: 2 / 3, landscape: 3 / 2, square: 1 };

/** Every configured size Image Generation's sliders can give, in steps of 8, up to 2048 × 2048. */
function* configuredSizes(step = 8) {
    for (let width = 256; width <= 2048; width += step) for (let height = 256; height <= 2048; height += step) yield [width, height];
}

test('every configured size and shape: the right orientation, each side a multiple of 64', () => {
    for (const [width, height] of configuredSizes()) {
        for (const shape of SHAPES) {
            const size = shapeSize(shape, width, height);
            assert.ok(size, `${width}x${height} ${shape}`);
            assert.equal(size.width % 64, 0);
            assert.equal(size.height % 64, 0);
            if (shape === 'portrait') assert.ok(size.height > size.width, `${width}x${height} portrait: ${size.width}x${size.height}`);
            if (shape === 'landscape') assert.ok(size.width > size.height, `${width}x${height} landscape: ${size.width}x${size.height}`);
            if (shape === 'square') assert.equal(size.width, size.height);
        }
    }
});

test('from 640 × 640 pixels of area up, the area stays within 10% of the configured one, at the shape\'s ratio', () => {
    let worst = 0;
    for (const [width, height] of configuredSizes()) {
        if (width * height < 640 * 640) continue;
        for (const shape of SHAPES) {
            const size = /** @type {{width: number, height: number}} */ (shapeSize(shape, width, height));
            const off = Math.abs((size.width * size.height) / (width * height) - 1);
            worst = Math.max(worst, off);
            assert.ok(off <= 0.1 + 1e-9, `${width}x${height} ${shape}: ${size.width}x${size.height} is ${(off * 100).toFixed(1)}% off`);
            // ...and the shape is within 5% of 2:3, 3:2 or 1:1.
            assert.ok(Math.abs(size.width / size.height / RATIO[shape] - 1) <= 0.05, `${width}x${height} ${shape}: ${size.width}x${size.height}`);
        }
    }
    assert.ok(worst > 0.05, 'the check looked at sizes that are hard to keep');
});

test('below that, multiples of 64 are too coarse for 10%, and the nearest one is taken', () => {
    for (const [width, height] of configuredSizes(32)) {
        if (width * height >= 640 * 640) continue;
        for (const shape of SHAPES) {
            const size = /** @type {{width: number, height: number}} */ (shapeSize(shape, width, height));
            assert.ok(Math.abs((size.width * size.height) / (width * height) - 1) <= 0.25, `${width}x${height} ${shape}`);
        }
    }
});

test('the usual sizes give the usual shaped sizes', () => {
    assert.deepEqual(shapeSize('portrait', 512, 512), { width: 448, height: 640 });
    assert.deepEqual(shapeSize('landscape', 512, 512), { width: 640, height: 448 });
    assert.deepEqual(shapeSize('square', 512, 512), { width: 512, height: 512 });
    assert.deepEqual(shapeSize('portrait', 832, 1216), { width: 832, height: 1216 });
    assert.deepEqual(shapeSize('landscape', 832, 1216), { width: 1216, height: 832 });
    assert.deepEqual(shapeSize('square', 1024, 1024), { width: 1024, height: 1024 });
    for (const shape of SHAPES) {
        const size = /** @type {{width: number, height: number}} */ (shapeSize(shape, 1024, 1024));
        assert.ok(Math.abs(size.width / size.height / RATIO[shape] - 1) < 0.1, shape);
    }
});

test('no shape, or no usable configured size: Image Generation\'s own size (null)', () => {
    assert.equal(shapeSize('', 512, 512), null);
    for (const [w, h] of [[0, 512], [512, undefined], ['x', 512], [NaN, 512], [-512, 512], [Infinity, 512]]) {
        assert.equal(shapeSize('portrait', w, h), null, `${w}x${h}`);
    }
});
