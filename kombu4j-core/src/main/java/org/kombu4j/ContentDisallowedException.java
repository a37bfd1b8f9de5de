package org.kombu4j;

/** A message's content type is not in the consumer's accept list (or is never decoded, as pickle). */
public class ContentDisallowedException extends DecodeException {
    private static final long serialVersionUID = 1L;

    public ContentDisallowedException(String message) {
        super(message, null);
    }
}
