package org.kombu4j;

/** A passive declare (or an operation on a named entity) found no such queue or exchange. */
public class NotFoundException extends KombuException {
    private static final long serialVersionUID = 1L;

    public NotFoundException(String message) {
        super(message);
    }
}
