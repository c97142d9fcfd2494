"""Teacher (Johnson et al. TransformerNet, weights read from the fp16 ONNX mirror) and light student networks.

All networks take float32 NCHW RGB in 0..255 and return the same layout (unclipped, like the teachers).
"""
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


# ----------------------------------------------------------------------------------------------------------------
# Teacher
# ----------------------------------------------------------------------------------------------------------------
class ConvLayer(nn.Module):
    """Reflection pad + conv (pytorch/examples fast_neural_style)."""

    def __init__(self, cin, cout, k, stride=1, groups=1, bias=True):
        super().__init__()
        self.pad = k // 2
        self.conv = nn.Conv2d(cin, cout, k, stride, groups=groups, bias=bias)

    def forward(self, x):
        if self.pad:
            x = F.pad(x, (self.pad,) * 4, mode='reflect')
        return self.conv(x)


class TeacherNet(nn.Module):
    """TransformerNet: conv9 32, conv3/2 64, conv3/2 128, 5 res blocks, up conv3 64, up conv3 32, conv9 3."""

    def __init__(self):
        super().__init__()
        self.conv1, self.in1 = ConvLayer(3, 32, 9), nn.InstanceNorm2d(32, affine=True)
        self.conv2, self.in2 = ConvLayer(32, 64, 3, 2), nn.InstanceNorm2d(64, affine=True)
        self.conv3, self.in3 = ConvLayer(64, 128, 3, 2), nn.InstanceNorm2d(128, affine=True)
        self.res = nn.ModuleList()
        for _ in range(5):
            self.res.append(nn.ModuleList([ConvLayer(128, 128, 3), nn.InstanceNorm2d(128, affine=True),
                                           ConvLayer(128, 128, 3), nn.InstanceNorm2d(128, affine=True)]))
        self.deconv1, self.in4 = ConvLayer(128, 64, 3), nn.InstanceNorm2d(64, affine=True)
        self.deconv2, self.in5 = ConvLayer(64, 32, 3), nn.InstanceNorm2d(32, affine=True)
        self.deconv3 = ConvLayer(32, 3, 9)

    def features(self, x):
        """The first three ReLU outputs of the teacher graph (ONNX tensors '66', '70', '74')."""
        r1 = F.relu(self.in1(self.conv1(x)))
        r2 = F.relu(self.in2(self.conv2(r1)))
        r3 = F.relu(self.in3(self.conv3(r2)))
        return [r1, r2, r3]

    def forward(self, x):
        y = self.features(x)[2]
        for c1, n1, c2, n2 in self.res:
            y = y + n2(c2(F.relu(n1(c1(y)))))
        y = F.relu(self.in4(self.deconv1(F.interpolate(y, scale_factor=2, mode='nearest'))))
        y = F.relu(self.in5(self.deconv2(F.interpolate(y, scale_factor=2, mode='nearest'))))
        return self.deconv3(y)


def load_teacher(onnx_path):
    """Build a TeacherNet with the weights of a fns_*.fp16.onnx file (fp16 initializers, cast to fp32 in-graph)."""
    import onnx
    from onnx import numpy_helper

    m = onnx.load(onnx_path)
    init = {t.name: numpy_helper.to_array(t).astype(np.float32) for t in m.graph.initializer}

    def w(name):  # 'X' -> its fp32 value, whether stored as X or X_fp16
        return torch.from_numpy(init[name] if name in init else init[name + '_fp16'])

    cast_src = {n.output[0]: n.input[0][:-5] if n.input[0].endswith('_fp16') else n.input[0]
                for n in m.graph.node if n.op_type == 'Cast'}
    convs = [n for n in m.graph.node if n.op_type == 'Conv']
    norms = [n for n in m.graph.node if n.op_type == 'InstanceNormalization']
    net = TeacherNet()
    conv_mods = [net.conv1, net.conv2, net.conv3] + [c for blk in net.res for c in (blk[0], blk[2])] + \
                [net.deconv1, net.deconv2, net.deconv3]
    norm_mods = [net.in1, net.in2, net.in3] + [c for blk in net.res for c in (blk[1], blk[3])] + [net.in4, net.in5]
    assert len(convs) == len(conv_mods) == 16 and len(norms) == len(norm_mods) == 15
    with torch.no_grad():
        for node, mod in zip(convs, conv_mods):
            mod.conv.weight.copy_(w(cast_src.get(node.input[1], node.input[1])))
            mod.conv.bias.copy_(w(cast_src.get(node.input[2], node.input[2])))
        for node, mod in zip(norms, norm_mods):
            mod.weight.copy_(w(cast_src.get(node.input[1], node.input[1])))
            mod.bias.copy_(w(cast_src.get(node.input[2], node.input[2])))
    net.eval()
    for p in net.parameters():
        p.requires_grad_(False)
    return net


# ----------------------------------------------------------------------------------------------------------------
# Student
# ----------------------------------------------------------------------------------------------------------------
class ConvINReLU(nn.Module):
    def __init__(self, cin, cout, k, stride=1, relu=True):
        super().__init__()
        self.conv = ConvLayer(cin, cout, k, stride)
        self.norm = nn.InstanceNorm2d(cout, affine=True)
        self.relu = relu

    def forward(self, x):
        y = self.norm(self.conv(x))
        return F.relu(y) if self.relu else y


class DWResBlock(nn.Module):
    """Residual block with depthwise-separable convs: (dw3x3 -> pw1x1 -> IN -> ReLU) x2, second without ReLU."""

    def __init__(self, c):
        super().__init__()
        self.dw1, self.pw1, self.n1 = ConvLayer(c, c, 3, groups=c, bias=False), nn.Conv2d(c, c, 1), \
            nn.InstanceNorm2d(c, affine=True)
        self.dw2, self.pw2, self.n2 = ConvLayer(c, c, 3, groups=c, bias=False), nn.Conv2d(c, c, 1), \
            nn.InstanceNorm2d(c, affine=True)

    def forward(self, x):
        y = F.relu(self.n1(self.pw1(self.dw1(x))))
        return x + self.n2(self.pw2(self.dw2(y)))


class ResBlock(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.a = ConvINReLU(c, c, 3)
        self.b = ConvINReLU(c, c, 3, relu=False)

    def forward(self, x):
        return x + self.b(self.a(x))


class StudentNet(nn.Module):
    """Johnson-style light net: conv k_in c1, conv3/2 c2, conv3/2 c3, n_res res blocks at 1/4 res,
    nearest-up + conv3 c2, nearest-up + conv3 c1, conv k_out 3. InstanceNorm (affine) + ReLU like the teacher."""

    def __init__(self, c1=8, c2=16, c3=32, n_res=4, k_in=3, k_out=3, dw=False):
        super().__init__()
        self.cfg = dict(c1=c1, c2=c2, c3=c3, n_res=n_res, k_in=k_in, k_out=k_out, dw=dw)
        self.enc = nn.Sequential(ConvINReLU(3, c1, k_in), ConvINReLU(c1, c2, 3, 2), ConvINReLU(c2, c3, 3, 2))
        self.res = nn.Sequential(*[(DWResBlock(c3) if dw else ResBlock(c3)) for _ in range(n_res)])
        self.up1 = ConvINReLU(c3, c2, 3)
        self.up2 = ConvINReLU(c2, c1, 3)
        self.out = ConvLayer(c1, 3, k_out)
        # Training-time output affine (out*64+128) so the last conv works near unit scale; fold_output() bakes it
        # into the last conv's weights before export, leaving a plain conv as the graph's last node.
        self.register_buffer('out_scale', torch.tensor(64.0))
        self.register_buffer('out_shift', torch.tensor(128.0))

    def forward(self, x):
        y = self.res(self.enc(x))
        y = self.up1(F.interpolate(y, scale_factor=2.0, mode='nearest'))
        y = self.up2(F.interpolate(y, scale_factor=2.0, mode='nearest'))
        y = self.out(y)
        if float(self.out_scale) != 1.0 or float(self.out_shift) != 0.0:
            y = y * self.out_scale + self.out_shift
        return y

    @torch.no_grad()
    def fold_output(self):
        c = self.out.conv
        c.weight.mul_(self.out_scale)
        c.bias.mul_(self.out_scale).add_(self.out_shift)
        self.out_scale.fill_(1.0)
        self.out_shift.fill_(0.0)
        return self


def n_params(m):
    return sum(p.numel() for p in m.parameters())


def load_student_onnx(net, onnx_path):
    """Load an exported light_*.onnx (same layers as `net`, as wide or narrower) into a StudentNet, for fine-tuning or
    widening. The export folded
    the training-time output affine into the last conv; undo that so the training parametrisation is unchanged."""
    import onnx
    from onnx import numpy_helper

    m = onnx.load(onnx_path)
    init = {t.name: torch.from_numpy(numpy_helper.to_array(t).astype(np.float32)) for t in m.graph.initializer}
    convs = [n for n in m.graph.node if n.op_type == 'Conv']
    norms = [n for n in m.graph.node if n.op_type == 'InstanceNormalization']
    conv_mods = [mod for mod in net.modules() if isinstance(mod, nn.Conv2d)]
    norm_mods = [mod for mod in net.modules() if isinstance(mod, nn.InstanceNorm2d)]
    assert len(convs) == len(conv_mods) and len(norms) == len(norm_mods), 'architecture differs from the ONNX file'
    with torch.no_grad():
        # A wider net than the file (more channels somewhere) starts as the same function: the file's weights go
        # into the leading slices, weights from the new input channels into the old outputs are zeroed (so the old
        # outputs are unchanged), and the new channels keep their random initialisation.
        for node, mod in zip(convs, conv_mods):
            w, bias = init[node.input[1]], init[node.input[2]]
            co, ci = w.shape[0], w.shape[1]
            mod.weight[:co, ci:] = 0
            mod.weight[:co, :ci] = w
            mod.bias[:co] = bias
        for node, mod in zip(norms, norm_mods):
            w = init[node.input[1]]
            mod.weight[:w.shape[0]] = w
            mod.bias[:w.shape[0]] = init[node.input[2]]
        c = net.out.conv
        assert c.weight.shape[0] == 3, 'the output conv must stay RGB'
        c.weight.div_(net.out_scale)
        c.bias.sub_(net.out_shift).div_(net.out_scale)
    return net
