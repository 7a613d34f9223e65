package io.weft.core.testing;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Marks a test that changes the kernel: it needs root, {@code ip netns} and veth/bridge support.
 *
 * <p>Such tests are tagged {@code root} and, when the JVM is not root or the tools are missing, are
 * reported as skipped with the reason instead of failing — so {@code mvn verify} stays honest for a
 * newcomer without root, while CI (root) runs them all. They must only touch network namespaces they
 * create themselves, and remove them afterwards.
 */
@Target({ElementType.TYPE, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
@Tag("root")
@ExtendWith(RootCondition.class)
public @interface RequiresRoot {}
