/// The functions `tuna bench search --suite` runs: 20 functions in 2–10 dimensions, separable
/// and rotated, unimodal, ill-conditioned and multimodal, five of them with int and
/// categorical coordinates (names end in the dimension); and seven more (`extended`, chosen
/// with `--only`) kept out of the default run to bound the references' CPU time.
public enum BenchmarkSuite {
    static let f = SuiteDimensionKind.float, i = SuiteDimensionKind.int, c = SuiteDimensionKind.categorical

    public static let functions: [SuiteFunctionSpec] = [
        // Separable (BBOB f1–f4 and VLSE), shifted and scaled only.
        SuiteFunctionSpec("sphere-5", .sphere, dimensions: 5, rotated: false),
        SuiteFunctionSpec("ellipsoid-4", .ellipsoid, dimensions: 4, rotated: false),
        SuiteFunctionSpec("rastrigin-3", .rastrigin, dimensions: 3, rotated: false),
        SuiteFunctionSpec("levy-4", .levy, dimensions: 4, rotated: false),
        SuiteFunctionSpec("six-hump-camel-2", .sixHumpCamel, dimensions: 2, rotated: false),
        // Moderate and high conditioning, rotated (BBOB f6–f14).
        SuiteFunctionSpec("attractive-sector-4", .attractiveSector, dimensions: 4, rotated: true),
        SuiteFunctionSpec("step-ellipsoid-5", .stepEllipsoid, dimensions: 5, rotated: true),
        SuiteFunctionSpec("rosenbrock-rotated-6", .rosenbrock, dimensions: 6, rotated: true),
        SuiteFunctionSpec("ellipsoid-rotated-6", .ellipsoid, dimensions: 6, rotated: true),
        SuiteFunctionSpec("discus-5", .discus, dimensions: 5, rotated: true),
        SuiteFunctionSpec("bent-cigar-4", .bentCigar, dimensions: 4, rotated: true),
        // Multimodal, rotated (BBOB f15–f19, Ackley, Griewank).
        SuiteFunctionSpec("rastrigin-rotated-4", .rastrigin, dimensions: 4, rotated: true),
        SuiteFunctionSpec("schaffers-5", .schaffers, dimensions: 5, rotated: true),
        SuiteFunctionSpec("griewank-rosenbrock-5", .griewankRosenbrock, dimensions: 5, rotated: true),
        SuiteFunctionSpec("ackley-6", .ackley, dimensions: 6, rotated: true),
        // Mixed spaces: int and categorical coordinates.
        SuiteFunctionSpec("sphere-mixed-6", .sphere, kinds: [f, f, f, f, i, i], rotated: false),
        SuiteFunctionSpec("rastrigin-mixed-5", .rastrigin, kinds: [f, f, f, i, c], rotated: false),
        SuiteFunctionSpec("ellipsoid-mixed-8", .ellipsoid, kinds: [f, f, f, f, i, i, c, c], rotated: true),
        SuiteFunctionSpec("ackley-mixed-10", .ackley, kinds: [f, f, f, f, f, f, i, i, c, c], rotated: true),
        SuiteFunctionSpec("rosenbrock-mixed-5", .rosenbrock, kinds: [f, f, f, i, c], rotated: false),
    ]

    /// More functions of the same families, for `--only`.
    public static let extended: [SuiteFunctionSpec] = [
        SuiteFunctionSpec("styblinski-tang-4", .styblinskiTang, dimensions: 4, rotated: false),
        SuiteFunctionSpec("zakharov-7", .zakharov, dimensions: 7, rotated: false),
        SuiteFunctionSpec("rosenbrock-4", .rosenbrock, dimensions: 4, rotated: false),
        SuiteFunctionSpec("sharp-ridge-3", .sharpRidge, dimensions: 3, rotated: true),
        SuiteFunctionSpec("different-powers-5", .differentPowers, dimensions: 5, rotated: true),
        SuiteFunctionSpec("weierstrass-3", .weierstrass, dimensions: 3, rotated: true),
        SuiteFunctionSpec("griewank-8", .griewank, dimensions: 8, rotated: true),
    ]

    /// Every function `--only` may name.
    public static var all: [SuiteFunctionSpec] { functions + extended }

    /// The instances of every function (or of those named) for each seed.
    public static func instances(seeds: [UInt64], only names: Set<String>? = nil) -> [SuiteInstance] {
        (names == nil ? functions : all.filter { names?.contains($0.name) ?? false }).flatMap { spec in
            seeds.map { SuiteInstance(spec: spec, seed: $0) }
        }
    }
}
