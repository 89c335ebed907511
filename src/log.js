// @ts-check
/** One logger with the extension's prefix; its level comes from settings. */

const LEVELS = /** @type {const} */ (['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'SILENT']);
const PREFIX = '[Inline Images]';

let threshold = LEVELS.indexOf('INFO');

/** @param {string} level */
export function setLogLevel(level) {
    const i = LEVELS.indexOf(/** @type {any} */ (level));
    threshold = i < 0 ? LEVELS.indexOf('INFO') : i;
}

/**
 * @param {number} rank
 * @param {(...a: any[]) => void} sink
 */
const at = (rank, sink) => (/** @type {any[]} */ ...args) => { if (rank >= threshold) sink(PREFIX, ...args); };

export const log = {
    trace: at(0, console.debug),
    debug: at(1, console.debug),
    info: at(2, console.info),
    warn: at(3, console.warn),
    error: at(4, console.error),
};

/** What went wrong, as one line for the user or the log. @param {unknown} error */
export function errorText(error) {
    return error instanceof Error ? error.message : String(error);
}
