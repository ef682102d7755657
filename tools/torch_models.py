"""The engine's registry models as PyTorch modules, with the engine's names (its safetensors export loads into
them with strict load_state_dict): used by tools/compare_pytorch.py and by the PyTorch twin training loop,
tools/torch_twin.py."""
import torch
import torch.nn as nn
import torch.nn.functional as F


class VGGSmall(nn.Module):
    """The seed's models/vgg_small.lua in PyTorch (3x48x48 -> 43 log-probabilities); stage_dropout: Dropout(0.2)
    after every pooling (vgg_small_dropout)."""

    def __init__(self, classes=43, stage_dropout=False):
        super().__init__()
        def stage(cin, cout):
            layers = [nn.Conv2d(cin, cout, 3, 1, 1), nn.BatchNorm2d(cout), nn.ReLU(),
                      nn.Conv2d(cout, cout, 3, 1, 1), nn.BatchNorm2d(cout), nn.ReLU(), nn.MaxPool2d(2, 2)]
            return layers + ([nn.Dropout(0.2)] if stage_dropout else [])
        self.features = nn.Sequential(*stage(3, 32), *stage(32, 64), *stage(64, 128))
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(4608, 512), nn.ReLU(), nn.BatchNorm1d(512, eps=1e-3),
                                        nn.Dropout(0.5), nn.Linear(512, classes), nn.LogSoftmax(dim=1))

    def forward(self, x):
        return self.classifier(self.features(x))


class ConcatTable(nn.ModuleList):
    """Torch's nn.ConcatTable: every branch applied to the same input; the list of their outputs."""

    def forward(self, x):
        return [m(x) for m in self]


class AffineTransformMatrixGenerator(nn.Module):
    """stnbhwd's rotation, scale, translation -> Nx2x3: R(a) S(s) T(tx, ty), as the engine's."""

    def forward(self, p):
        a, s, tx, ty = p[:, 0], p[:, 1], p[:, 2], p[:, 3]
        c, sn = torch.cos(a), torch.sin(a)
        return torch.stack([torch.stack([s * c, -s * sn, s * (tx * c - ty * sn)], 1),
                            torch.stack([s * sn, s * c, s * (tx * sn + ty * c)], 1)], 1)


class AffineGridGenerator(nn.Module):
    def __init__(self, height, width):
        super().__init__()
        self.height, self.width = height, width

    def forward(self, theta):
        return F.affine_grid(theta, (theta.shape[0], 1, self.height, self.width), align_corners=False)


class BilinearSampler(nn.Module):
    def forward(self, pair):
        return F.grid_sample(pair[0], pair[1], mode="bilinear", padding_mode="zeros", align_corners=False)


class ScaleGradient(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, scale):
        ctx.scale = scale
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad):
        return ctx.scale * grad, None


class GradientScale(nn.Module):
    """The engine's nn.GradientScale: the identity forward, gradOutput times `scale` backward."""

    def __init__(self, scale):
        super().__init__()
        self.scale = scale

    def forward(self, x):
        return ScaleGradient.apply(x, self.scale)


def transformer(localisation, features, size, gradient_scale=1.0):
    """SpatialTransformer.make: ConcatTable[Identity, localisation -> head -> [GradientScale ->] rot/sca/tra -> grid]
    -> sampler."""
    scaling = [] if gradient_scale == 1 else [GradientScale(gradient_scale)]
    grid = nn.Sequential(localisation, nn.Linear(features, 4), *scaling, AffineTransformMatrixGenerator(),
                         AffineGridGenerator(size, size))
    return nn.Sequential(ConcatTable([nn.Identity(), grid]), BilinearSampler())


def input_transformer(gradient_scale=1.0):
    """VGGSmallSTN's transformer of the 3x48x48 image."""
    return transformer(nn.Sequential(nn.MaxPool2d(2, 2), nn.Conv2d(3, 20, 5), nn.ReLU(), nn.MaxPool2d(2, 2),
                                     nn.Conv2d(20, 20, 5), nn.ReLU(), nn.Flatten(), nn.Linear(720, 50), nn.ReLU()),
                       50, 48, gradient_scale)


def vgg_small_stn(classes=43):
    """VGGSmallSTN: a spatial transformer (rotation, scale, translation) in front of vgg_small; the engine numbers
    the top-level modules, so the twin is a plain Sequential of the same nesting."""
    vgg = VGGSmall(classes)
    return nn.Sequential(input_transformer(), vgg.features, vgg.classifier)


# VGGSmallSTN2.localisationGradientScale: both of vgg_small_stn2's localisation networks learn at 0.3x the lr.
STN2_LOCALISATION_GRADIENT_SCALE = 0.3


def vgg_small_stn2(classes=43):
    """VGGSmallSTN2: vgg_small with the input transformer and a second one on stage 1's 32x24x24 maps, both
    localisation networks' gradients scaled by STN2_LOCALISATION_GRADIENT_SCALE."""
    vgg = VGGSmall(classes)
    stages = list(vgg.features)
    localisation = nn.Sequential(nn.MaxPool2d(2, 2), nn.Conv2d(32, 32, 5), nn.ReLU(), nn.MaxPool2d(2, 2),
                                 nn.Flatten(), nn.Linear(512, 50), nn.ReLU())
    scale = STN2_LOCALISATION_GRADIENT_SCALE
    return nn.Sequential(input_transformer(scale), nn.Sequential(*stages[:7]), transformer(localisation, 50, 24, scale),
                         nn.Sequential(*stages[7:]), vgg.classifier)


class CAddTable(nn.Module):
    def forward(self, xs):
        return sum(xs[1:], xs[0])


def resnet14(classes=43):
    """ResNet14: basic blocks as Sequential(ConcatTable([residual, shortcut]), CAddTable, ReLU), numbered as ours."""
    def block(planes, width, stride):
        residual = nn.Sequential(nn.Conv2d(planes, width, 3, stride, 1), nn.BatchNorm2d(width), nn.ReLU(),
                                 nn.Conv2d(width, width, 3, 1, 1), nn.BatchNorm2d(width))
        shortcut = (nn.Identity() if planes == width and stride == 1 else
                    nn.Sequential(nn.Conv2d(planes, width, 1, stride), nn.BatchNorm2d(width)))
        return nn.Sequential(ConcatTable([residual, shortcut]), CAddTable(), nn.ReLU())
    return nn.Sequential(nn.Conv2d(3, 32, 3, 1, 1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2, 2),
                         block(32, 32, 1), block(32, 32, 1), block(32, 64, 2), block(64, 64, 1),
                         block(64, 128, 2), block(128, 128, 1), nn.AvgPool2d(6, 6), nn.Flatten(),
                         nn.Linear(128, classes), nn.LogSoftmax(dim=1))


MODELS = {
    "vgg_small": lambda classes: VGGSmall(classes),
    "vgg_small_dropout": lambda classes: VGGSmall(classes, stage_dropout=True),
    "vgg_small_stn": vgg_small_stn,
    "vgg_small_stn2": vgg_small_stn2,
    "resnet14": resnet14,
}


def build(name, classes=43):
    """The twin of registry model `name`; a KeyError names the models that have one."""
    if name not in MODELS:
        raise KeyError(f"no PyTorch twin of model {name} (twins: {', '.join(MODELS)})")
    return MODELS[name](classes)
