import ArgumentParser
import DistTrain
import Foundation

GTSRBDist.main()
