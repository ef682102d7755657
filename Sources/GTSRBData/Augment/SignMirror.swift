/// GTSRB's classes under a left–right mirror (`--mirror`), as in Staravoitau's flip extension of the data:
/// a sign whose symbol is symmetric keeps its class, the four left/right pairs swap, and every other class
/// (digits, text, pictograms that face one way) has no mirror image among the 43.
public enum SignMirror {
    /// PRIORITY ROAD, YIELD, NO VEHICLES, NO ENTRY and the symmetric triangles and arrow.
    static let symmetric: [Int] = [11, 12, 13, 15, 17, 18, 22, 26, 30, 35]
    /// CURVE LEFT/RIGHT, TURN RIGHT/LEFT, AHEAD/RIGHT / AHEAD/LEFT, KEEP RIGHT/LEFT.
    static let pairs: [(Int, Int)] = [(19, 20), (33, 34), (36, 37), (38, 39)]
    /// The class of the mirror image of each class 0…42, or −1.
    static let table: [Int] = {
        var t = [Int](repeating: -1, count: GTSRBClassNames.short.count)
        for c in symmetric { t[c] = c }
        for (a, b) in pairs {
            t[a] = b
            t[b] = a
        }
        return t
    }()

    /// The class of the mirrored image of a sign of class `classId`, or nil when no class shows it.
    public static func mirroredClass(_ classId: Int) -> Int? {
        guard classId >= 0, classId < table.count, table[classId] >= 0 else { return nil }
        return table[classId]
    }
}
