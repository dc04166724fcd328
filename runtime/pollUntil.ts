// The one deadline-and-poll loop the providers, the operator commands and the e2e harness share:
// ask until there is an answer, report while waiting, and fail at the deadline with a message the
// caller words (what was awaited, the last thing seen, what to do).
export interface PollOptions<T> {
    /** Returns the awaited value, or undefined to ask again; throwing ends the wait with that error. */
    attempt: (attemptNumber: number) => Promise<T | undefined>;
    timeoutMs: number;
    intervalMs: number;
    /** Called after each unanswered attempt, with the time waited so far. */
    onWait?: (elapsedMs: number, attemptNumber: number) => void;
    /** The error at the deadline. */
    timeoutError: (elapsedMs: number) => Error;
}

export async function pollUntil<T>(options: PollOptions<T>): Promise<T> {
    const started = Date.now();
    for (let n = 0; ; n++) {
        const answer = await options.attempt(n);
        if (answer !== undefined) return answer;
        const elapsed = Date.now() - started;
        if (elapsed + options.intervalMs > options.timeoutMs) throw options.timeoutError(elapsed);
        options.onWait?.(elapsed, n);
        await new Promise((resolve) => setTimeout(resolve, options.intervalMs));
    }
}
