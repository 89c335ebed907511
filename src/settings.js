// @ts-check
/**
 * Settings as data: frozen defaults, one table of fields with their limits, validation and
 * clamping on load, a stored format version with ordered migrations. Pure: no SillyTavern,
 * no DOM. Corrupt values are repaired and reported, never thrown.
 */

export const SETTINGS_VERSION = 2;

import { getPreset, normaliseStore } from './prompts/presets.js';
import { normaliseNegative } from './prompts/negative.js';
import { WRITER_PREDEFINED } from './prompts/prompt-writer-request.js';

/** @typedef {import('./types').Settings} Settings */

/** Name given to a version-1 custom meta-prompt when it becomes a preset. */
export const MIGRATED_PRESET_NAME = 'My meta-prompt';

/**
 * Each field: its type and limits. `int`/`number` are clamped into [min, max]; `enum` falls back
 * to the default when unknown; `bool` accepts only real booleans.
 * @type {Readonly<Record<Exclude<keyof Settings, 'presets' | 'writerPresets' | 'presetNegatives'>, import('./types').FieldSpec>>}
 */
export const FIELDS = Object.freeze({
    enabled: { type: 'bool', default: true },
    wordInterval: { type: 'int', default: 250, min: 50, max: 2000 },
    promptMode: { type: 'enum', default: 'inline', values: ['inline', 'separate', 'auto'] },
    writerMinWords: { type: 'int', default: 150, min: 20, max: 5000 },
    writerContext: { type: 'int', default: 4, min: 0, max: 20 },
    writerProfile: { type: 'string', default: '', maxLength: 200 },
    generateWhileStreaming: { type: 'bool', default: true },
    maxConcurrent: { type: 'int', default: 2, min: 1, max: 5 },
    minIntervalMs: { type: 'int', default: 0, min: 0, max: 60000 },
    timeoutSeconds: { type: 'int', default: 180, min: 10, max: 1800 },
    retries: { type: 'int', default: 2, min: 0, max: 5 },
    maxPerReply: { type: 'int', default: 0, min: 0, max: 50 },
    modelShapes: { type: 'bool', default: true },
    dailyLimit: { type: 'int', default: 0, min: 0, max: 10000 },
    manualMode: { type: 'enum', default: 'append', values: ['append', 'replace'] },
    imageWidth: { type: 'int', default: 100, min: 10, max: 100 },
    // A lorebook's name ('' = none); whether it exists is checked when it is read, not here.
    looksLorebook: { type: 'string', default: '', maxLength: 200 },
    logLevel: { type: 'enum', default: 'INFO', values: ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'SILENT'] },
});

/** @returns {Settings} */
export function defaultSettings() {
    const out = /** @type {Record<string, unknown>} */ ({});
    for (const [key, spec] of Object.entries(FIELDS)) out[key] = spec.default;
    out.presets = normaliseStore(undefined).store;
    out.writerPresets = normaliseStore(undefined, WRITER_PREDEFINED).store;
    out.presetNegatives = {};
    return /** @type {Settings} */ (/** @type {unknown} */ (out));
}

/**
 * Ordered migrations: entry i turns version i data into version i + 1.
 * @type {Array<(data: Record<string, any>) => Record<string, any>>}
 */
const MIGRATIONS = [
    // 0 -> 1: the first stored format; nothing to rename yet.
    (data) => data,
    // 1 -> 2: the single custom meta-prompt became presets; keep a custom text as a preset.
    (data) => {
        const { metaPrompt, ...rest } = data;
        if (typeof metaPrompt === 'string' && metaPrompt.trim() && !rest.presets) {
            rest.presets = { selected: MIGRATED_PRESET_NAME, custom: { [MIGRATED_PRESET_NAME]: metaPrompt } };
        }
        return rest;
    },
];

/**
 * Validate one value against its field spec.
 * @param {import('./types').FieldSpec} spec
 * @param {unknown} value
 * @returns {{value: unknown, problem: string|null}}
 */
export function validateField(spec, value) {
    switch (spec.type) {
        case 'bool':
            return typeof value === 'boolean' ? { value, problem: null } : { value: spec.default, problem: `expected true or false, got ${JSON.stringify(value)}` };
        case 'int':
        case 'number': {
            const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
            if (typeof n !== 'number' || !Number.isFinite(n)) return { value: spec.default, problem: `expected a number, got ${JSON.stringify(value)}` };
            const rounded = spec.type === 'int' ? Math.round(n) : n;
            const clamped = Math.min(spec.max ?? Infinity, Math.max(spec.min ?? -Infinity, rounded));
            if (clamped !== rounded) return { value: clamped, problem: `${n} is outside ${spec.min}..${spec.max}; using ${clamped}` };
            return { value: clamped, problem: rounded !== n ? `${n} is not a whole number; using ${clamped}` : null };
        }
        case 'enum':
            return spec.values?.includes(/** @type {string} */ (value)) ? { value, problem: null } : { value: spec.default, problem: `unknown value ${JSON.stringify(value)}` };
        case 'string': {
            if (typeof value !== 'string') return { value: spec.default, problem: `expected text, got ${typeof value}` };
            const max = spec.maxLength ?? Infinity;
            return value.length > max ? { value: value.slice(0, max), problem: `longer than ${max} characters; cut` } : { value, problem: null };
        }
        default:
            return { value: spec.default, problem: 'unknown field type' };
    }
}

/**
 * Turn whatever was stored (possibly nothing, possibly garbage) into valid settings.
 * @param {unknown} stored
 * @returns {{settings: Settings & {version: number}, problems: string[]}}
 */
export function loadSettings(stored) {
    /** @type {string[]} */
    const problems = [];
    let data = /** @type {Record<string, any>} */ ({});
    if (stored !== undefined && stored !== null) {
        if (typeof stored === 'object' && !Array.isArray(stored)) data = { ...stored };
        else problems.push(`saved settings were ${Array.isArray(stored) ? 'a list' : typeof stored}, not an object; defaults restored`);
    }
    let version = Number.isInteger(data.version) ? data.version : 0;
    if (version > SETTINGS_VERSION) {
        problems.push(`saved settings are from a newer version (${version}); unknown fields are ignored`);
        version = SETTINGS_VERSION;
    }
    for (let v = Math.max(0, version); v < SETTINGS_VERSION; v++) data = MIGRATIONS[v](data);

    const out = /** @type {Record<string, unknown>} */ ({ version: SETTINGS_VERSION });
    for (const [key, spec] of Object.entries(FIELDS)) {
        if (!(key in data)) { out[key] = spec.default; continue; }
        const { value, problem } = validateField(spec, data[key]);
        out[key] = value;
        if (problem) problems.push(`${key}: ${problem}`);
    }
    const presets = normaliseStore(data.presets);
    out.presets = presets.store;
    problems.push(...presets.problems.map((p) => `presets: ${p}`));
    const negatives = loadPresetNegatives(data.presetNegatives, presets.store);
    out.presetNegatives = negatives.value;
    problems.push(...negatives.problems);
    const writer = normaliseStore(data.writerPresets, WRITER_PREDEFINED);
    out.writerPresets = writer.store;
    problems.push(...writer.problems.map((p) => `prompt writer presets: ${p}`));
    return { settings: /** @type {any} */ (out), problems };
}

/**
 * The custom presets' negative prompts (preset name -> text): each made one bounded line; those
 * of presets that no longer exist, and empty ones, dropped without a word (they went with their
 * preset); anything unreadable dropped with a problem.
 * @param {unknown} raw @param {import('./types').PresetStore} store
 * @returns {{value: Record<string, string>, problems: string[]}}
 */
export function loadPresetNegatives(raw, store) {
    if (raw === undefined || raw === null) return { value: {}, problems: [] };
    if (typeof raw !== 'object' || Array.isArray(raw)) return { value: {}, problems: ['presetNegatives: not readable; the presets\' negative prompts were reset'] };
    /** @type {Array<[string, string]>} */
    const kept = [];
    /** @type {string[]} */
    const problems = [];
    for (const [name, text] of Object.entries(raw)) {
        const preset = getPreset(store, name);
        if (!preset || preset.readOnly) continue;
        if (typeof text !== 'string') {
            problems.push(`presetNegatives: the negative prompt of "${preset.name}" was not text; removed`);
            continue;
        }
        const value = normaliseNegative(text);
        if (value) kept.push([preset.name, value]);
    }
    return { value: Object.fromEntries(kept), problems };
}
