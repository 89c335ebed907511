// @ts-check
/**
 * Spotting two pictures saved under one file name. SillyTavern names a saved picture after
 * the character and the time to the millisecond, and writes it without waiting for an earlier
 * write of that name: two answers handled in the same millisecond share one file, which then
 * holds one of them or a mix of both. So recent result paths are remembered with their job.
 */

/** @typedef {import('../types').Job} Job */

/**
 * Paths are remembered this long: only pictures saved together can share a name, and a bound
 * in time also keeps jobs (and their messages) of chats long closed from being kept in memory.
 */
const KNOWN_PATH_MS = 60_000;
/** And at most this many. */
const MAX_KNOWN_PATHS = 200;

export class SharedFiles {
    constructor() {
        /** Which job each recent result path belongs to, and since when. @type {Map<string, {job: Job, at: number}>} */
        this.paths = new Map();
    }

    /**
     * A job's picture arrived at `job.src`.
     * @param {Job} job
     * @returns {Job | null} the live job whose picture was saved under the same name, or null:
     *   the path is this job's now
     */
    claim(job) {
        const src = /** @type {string} */ (job.src);
        const owner = this.paths.get(src)?.job;
        this.paths.delete(src);
        if (!owner || owner === job || owner.status === 'dropped') {
            this.remember(job);
            return null;
        }
        return owner;
    }

    /** The path is the job's, whoever had it. @param {Job} job */
    remember(job) {
        const now = Date.now();
        this.paths.set(/** @type {string} */ (job.src), { job, at: now });
        // Oldest first (an entry is deleted before it is set again).
        for (const [path, known] of this.paths) {
            if (this.paths.size <= MAX_KNOWN_PATHS && now - known.at < KNOWN_PATH_MS) break;
            this.paths.delete(path);
        }
    }
}
