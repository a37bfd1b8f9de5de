package org.kombu4j.cli;

/** Bad input the user can fix by changing the command line: exit status 2. */
final class UsageException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    UsageException(String message) {
        super(message);
    }
}
