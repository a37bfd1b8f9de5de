package org.kombu4j.spring;

import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.springframework.aop.support.AopUtils;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.context.EnvironmentAware;
import org.springframework.core.MethodIntrospector;
import org.springframework.core.annotation.AnnotatedElementUtils;
import org.springframework.core.env.Environment;

/**
 * Finds {@link KombuListener} methods on beans as they are initialized and records them, placeholders resolved, for
 * {@link KombuListenerContainers} to start once the context is refreshed. It depends on no other bean, so creating it
 * early (as every BeanPostProcessor is) drags nothing else along.
 */
public class KombuListenerAnnotationProcessor implements BeanPostProcessor, EnvironmentAware {
    /** A listener method found on a bean. */
    record Found(Object bean, Method method, KombuListener annotation, String queue, String exchange, String exchangeType,
            String routingKey) {
    }

    private final List<Found> found = new ArrayList<>();
    private @Nullable Environment environment;

    @Override
    public void setEnvironment(Environment environment) {
        this.environment = environment;
    }

    @Override
    public Object postProcessAfterInitialization(Object bean, String beanName) {
        Class<?> type = AopUtils.getTargetClass(bean);
        Map<Method, KombuListener> methods = MethodIntrospector.selectMethods(type,
                (MethodIntrospector.MetadataLookup<KombuListener>) m -> AnnotatedElementUtils.findMergedAnnotation(m,
                        KombuListener.class));
        for (Map.Entry<Method, KombuListener> e : methods.entrySet()) {
            KombuListener a = e.getValue();
            Method invocable = AopUtils.selectInvocableMethod(e.getKey(), bean.getClass());
            synchronized (found) {
                found.add(new Found(bean, invocable, a, resolve(a.queue()), resolve(a.exchange()), resolve(a.exchangeType()),
                        resolve(a.routingKey())));
            }
        }
        return bean;
    }

    private String resolve(String value) {
        return environment == null ? value : environment.resolveRequiredPlaceholders(value);
    }

    /** The listener methods found so far. */
    List<Found> found() {
        synchronized (found) {
            return List.copyOf(found);
        }
    }
}
