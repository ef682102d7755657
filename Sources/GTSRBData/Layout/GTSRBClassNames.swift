/// The names of GTSRB's 43 classes, by ClassId, short enough for the pictures (at most 16 characters, from
/// the letters, digits, space and "/" that the pictures' bitmap font draws).
public enum GTSRBClassNames {
    public static let short: [String] = [
        "SPEED 20", "SPEED 30", "SPEED 50", "SPEED 60", "SPEED 70", "SPEED 80", "END SPEED 80", "SPEED 100",
        "SPEED 120", "NO PASSING", "NO PASS TRUCKS", "RIGHT OF WAY", "PRIORITY ROAD", "YIELD", "STOP",
        "NO VEHICLES", "NO TRUCKS", "NO ENTRY", "CAUTION", "CURVE LEFT", "CURVE RIGHT", "DOUBLE CURVE",
        "BUMPY ROAD", "SLIPPERY ROAD", "NARROWS RIGHT", "ROAD WORK", "SIGNALS", "PEDESTRIANS", "CHILDREN",
        "BICYCLES", "ICE/SNOW", "WILD ANIMALS", "END LIMITS", "TURN RIGHT", "TURN LEFT", "AHEAD ONLY",
        "AHEAD/RIGHT", "AHEAD/LEFT", "KEEP RIGHT", "KEEP LEFT", "ROUNDABOUT", "END NO PASSING", "END NO PASS TRK",
    ]

    /// "14 STOP" for a class in 0…42, the bare number otherwise.
    public static func label(_ classId: Int) -> String {
        classId >= 0 && classId < short.count ? "\(classId) \(short[classId])" : String(classId)
    }
}
