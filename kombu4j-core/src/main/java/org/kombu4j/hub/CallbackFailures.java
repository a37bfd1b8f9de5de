package org.kombu4j.hub;

/** What the loop refuses to swallow when a callback throws. */
final class CallbackFailures {
    private CallbackFailures() {}

    /**
     * The loop survives any callback failure except one that leaves the JVM unusable: out of memory
     * or an internal error. A stack overflow is confined to the callback and is survivable.
     */
    static void rethrowIfFatal(Throwable t) {
        if (t instanceof VirtualMachineError && !(t instanceof StackOverflowError)) {
            throw (VirtualMachineError) t;
        }
    }
}
