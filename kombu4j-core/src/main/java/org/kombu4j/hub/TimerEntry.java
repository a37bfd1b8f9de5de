package org.kombu4j.hub;
// TEMPORARY STUB
public interface TimerEntry { void cancel(); boolean isCancelled(); }
