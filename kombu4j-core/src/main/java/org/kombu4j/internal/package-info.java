/**
 * Machinery behind the API (transport lookup); not for use outside kombu4j, and may change without notice.
 */
@NullMarked
package org.kombu4j.internal;

import org.jspecify.annotations.NullMarked;
