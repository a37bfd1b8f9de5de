/**
 * Spring Boot auto-configuration for kombu4j: a {@link org.kombu4j.Connection} and a {@link KombuTemplate} made from
 * the {@code kombu4j.*} properties ({@link KombuProperties}), methods annotated {@link KombuListener} consuming on
 * containers of their own, a {@code kombu4j} health indicator when Actuator is present, and a graceful shutdown with
 * the application context. Every bean is {@code @ConditionalOnMissingBean}: define your own to replace it.
 */
@NullMarked
package org.kombu4j.spring;

import org.jspecify.annotations.NullMarked;
