package io.softdsa.mdev.matrix;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Base of the matrix suites: each case is a {@code @ParameterizedTest @MethodSource("targets")} run once per cell of
 * {@link Cell#EXISTING}, on devices shared by the whole run. After every case the target's canaries are checked and
 * its device must have no internal error.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@ExtendWith(MatrixTest.Setup.class)
abstract class MatrixTest {
    private List<Target> targets;

    /** Builds (or finds) the run's {@link Matrix} before the class's cases. */
    static final class Setup implements BeforeAllCallback {
        @Override
        public void beforeAll(ExtensionContext context) {
            ((MatrixTest) context.getRequiredTestInstance()).targets = Matrix.of(context).targets().toList();
        }
    }

    @BeforeAll
    void requireTargets() {
        assertEquals(Cell.EXISTING.size(), targets.size());
    }

    /** The cells, as the method source of every case. */
    Stream<Target> targets() {
        return targets.stream();
    }

    @AfterEach
    void checkEveryTarget() {
        for (Target t : targets) {
            t.checkCanaries();
            assertEquals(0, t.internalErrors(), t + ": internal engine errors");
        }
    }

    /** Skips a case on a cell that cannot block on a fault, saying why. */
    static void requireBlockOnFault(Target t) {
        Assumptions.assumeTrue(t.blockOnFault(),
            t + ": pass-through has no page faults to block on (an address outside memory is a translation error)");
    }
}
