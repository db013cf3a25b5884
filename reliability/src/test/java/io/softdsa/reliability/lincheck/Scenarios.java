package io.softdsa.reliability.lincheck;

import kotlin.Unit;
import kotlin.jvm.functions.Function1;
import kotlin.reflect.KFunction;
import kotlin.reflect.jvm.ReflectJvmMapping;
import org.jetbrains.lincheck.datastructures.DSLScenarioBuilder;
import org.jetbrains.lincheck.datastructures.DSLThreadScenario;

import java.lang.reflect.Method;
import java.util.List;

/** Hand-written Lincheck scenarios from Java (Lincheck's scenario DSL is Kotlin's). */
final class Scenarios {
    private Scenarios() {
    }

    /** One operation call: the {@code @Operation} method and its arguments. */
    record Call(KFunction<?> operation, Object... arguments) {
    }

    static Call call(KFunction<?> operation, Object... arguments) {
        return new Call(operation, arguments);
    }

    static KFunction<?> operation(Class<?> scenarioClass, String name, Class<?>... parameters) {
        try {
            final Method m = scenarioClass.getMethod(name, parameters);
            return ReflectJvmMapping.getKotlinFunction(m);
        } catch (NoSuchMethodException e) {
            throw new IllegalArgumentException(e);
        }
    }

    /** A scenario: operations before, one list per parallel thread. */
    static Function1<DSLScenarioBuilder, Unit> scenario(List<Call> initial, List<List<Call>> threads) {
        return builder -> {
            if (!initial.isEmpty()) {
                builder.initial(thread(initial));
            }
            builder.parallel(parallel -> {
                for (List<Call> t : threads) {
                    parallel.thread(thread(t));
                }
                return Unit.INSTANCE;
            });
            return Unit.INSTANCE;
        };
    }

    /** A scenario with operations after the parallel part too (run once every thread is done: quiescent checks). */
    static Function1<DSLScenarioBuilder, Unit> scenario(List<Call> initial, List<List<Call>> threads,
                                                        List<Call> after) {
        final Function1<DSLScenarioBuilder, Unit> parallel = scenario(initial, threads);
        return builder -> {
            parallel.invoke(builder);
            if (!after.isEmpty()) {
                builder.post(thread(after));
            }
            return Unit.INSTANCE;
        };
    }

    private static Function1<DSLThreadScenario, Unit> thread(List<Call> calls) {
        return t -> {
            for (Call c : calls) {
                t.actor(c.operation(), c.arguments());
            }
            return Unit.INSTANCE;
        };
    }
}
