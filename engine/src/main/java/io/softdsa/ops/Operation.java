package io.softdsa.ops;

import io.softdsa.descriptor.Descriptor;

/**
 * One DSA operation. Called after the generic checks (fact sheet section 6, steps 1-6) have passed; runs the
 * operation's own checks (steps 7-9) and the work itself (step 10), filling {@link OpContext#result}.
 */
@FunctionalInterface
public interface Operation {
    /** @return the completion status */
    int execute(Descriptor d, OpContext x);
}
