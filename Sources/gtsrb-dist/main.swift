import DistTrain
print("gtsrb-dist")
