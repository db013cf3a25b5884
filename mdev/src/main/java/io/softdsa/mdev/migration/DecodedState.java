package io.softdsa.mdev.migration;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The result of decoding a whole, validated device-state stream: fresh objects, one per section, that no device has
 * seen yet. The resuming device applies them only after {@link StateReader#decode} returned.
 */
public final class DecodedState {
    private final Map<String, Object> sections;
    private final boolean currentVersions;

    DecodedState(Map<String, Object> sections, boolean currentVersions) {
        this.sections = Collections.unmodifiableMap(new LinkedHashMap<>(sections));
        this.currentVersions = currentVersions;
    }

    /** The decoded object of {@code description}'s section, or null if the (optional) section was absent. */
    @SuppressWarnings("unchecked")
    public <T> T get(VmStateDescription<T> description) {
        return (T) sections.get(description.name());
    }

    /** Section names in stream order. */
    public java.util.Set<String> sectionNames() {
        return sections.keySet();
    }

    /** Whether every section, subsection and array element was written at this build's version_id. */
    public boolean currentVersions() {
        return currentVersions;
    }
}
