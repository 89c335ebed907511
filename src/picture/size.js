// @ts-check
/**
 * A shaped picture's size: about the pixel area of Image Generation's configured width × height,
 * at 2:3 (portrait), 3:2 (landscape) or 1:1 (square), each side a multiple of 64, which every
 * image model accepts. Pure: numbers in, numbers out.
 */

/** @typedef {import('../format/tag-shape.js').Shape} Shape */

const STEP = 64;
/** Image Generation's own bounds for a side (its sliders go from 64 to 4096). */
const MIN_SIDE = 64;
const MAX_SIDE = 4096;

/** Width over height for each shape. */
const RATIO = Object.freeze({ portrait: 2 / 3, landscape: 3 / 2, square: 1 });

/** @param {number} side */
const clampSide = (side) => Math.min(MAX_SIDE, Math.max(MIN_SIDE, side));

/**
 * The multiples of 64 near `ideal`: two below and two above.
 * @param {number} ideal @returns {number[]}
 */
function around(ideal) {
    const low = Math.floor(ideal / STEP) * STEP;
    return [...new Set([low - STEP, low, low + STEP, low + 2 * STEP].map(clampSide))];
}

/** Within this share of the configured area, the ratio decides. */
const AREA_TOLERANCE = 0.1;

/**
 * The size to draw a shape at, or null when the picture keeps Image Generation's own size (no
 * shape, or no usable configured size).
 * @param {Shape | ''} shape @param {unknown} width @param {unknown} height Image Generation's configured size
 * @returns {{width: number, height: number} | null}
 */
export function shapeSize(shape, width, height) {
    const w = Number(width);
    const h = Number(height);
    if (!shape || !(w > 0) || !(h > 0) || !Number.isFinite(w * h)) return null;
    const area = w * h;
    const ratio = RATIO[shape];
    const idealWidth = Math.sqrt(area * ratio);
    const idealHeight = Math.sqrt(area / ratio);
    /** @type {{width: number, height: number} | null} */
    let best = null;
    let bestScore = Infinity;
    for (const cw of around(idealWidth)) {
        for (const ch of around(idealHeight)) {
            // The orientation is what the shape promises; a square stays square.
            if (shape === 'square' ? cw !== ch : shape === 'portrait' ? cw >= ch : cw <= ch) continue;
            // Near enough the area the user chose (for their model and their budget), the ratio
            // decides, then the area (a configured 832 × 1216 stays itself); else the area does.
            const areaOff = Math.abs(Math.log((cw * ch) / area));
            const ratioOff = Math.abs(Math.log(cw / ch / ratio));
            const near = Math.abs((cw * ch) / area - 1) <= AREA_TOLERANCE + 1e-9;
            const score = near ? ratioOff + areaOff / 4 : 10 + areaOff + ratioOff / 4;
            if (score < bestScore) {
                bestScore = score;
                best = { width: cw, height: ch };
            }
        }
    }
    return best;
}
